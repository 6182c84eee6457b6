import CoreMetrics

/// The measurements a call's hot path makes, through swift-metrics: how long each relayed audio frame spent in the
/// server, and how long the caller waited for the assistant after they stopped talking.
package struct CallMetrics: Sendable {
    /// A caller frame from its arrival on the media stream to its `input_audio_buffer.append` written.
    package let callerAudioRelay: Timer
    /// An assistant delta from its arrival on the Realtime socket to its `media` and `mark` written.
    package let assistantAudioRelay: Timer
    /// From the service's `speech_stopped` to the first assistant audio sent to Twilio after it.
    package let responseLatency: Timer
    package let realtimeConnected: Counter
    package let realtimeConnectionFailed: Counter
    /// A session that opened but could not serve the call: its configuration refused or never confirmed, or a
    /// fatal error.
    package let realtimeSessionFailed: Counter
    /// A session replaced mid-call, by why: `dropped`, `error`, `session_expired` or `rollover`.
    private let realtimeReplacements: [SessionReplacement: Counter]

    package init(factory: any MetricsFactory) {
        callerAudioRelay = Timer(
            label: Label.relayLatency,
            dimensions: [("direction", "caller_to_realtime")],
            factory: factory
        )
        assistantAudioRelay = Timer(
            label: Label.relayLatency,
            dimensions: [("direction", "realtime_to_caller")],
            factory: factory
        )
        responseLatency = Timer(label: Label.responseLatency, factory: factory)
        realtimeConnected = Counter(
            label: Label.realtimeConnections,
            dimensions: [("result", "connected")],
            factory: factory
        )
        realtimeConnectionFailed = Counter(
            label: Label.realtimeConnections,
            dimensions: [("result", "failed")],
            factory: factory
        )
        realtimeSessionFailed = Counter(
            label: Label.realtimeConnections,
            dimensions: [("result", "session_failed")],
            factory: factory
        )
        realtimeReplacements = Dictionary(
            uniqueKeysWithValues: SessionReplacement.allCases.map {
                ($0, Counter(label: Label.realtimeReconnects, dimensions: [("reason", $0.rawValue)], factory: factory))
            }
        )
    }

    /// Counts a session replaced mid-call.
    package func sessionReplaced(_ reason: SessionReplacement) {
        realtimeReplacements[reason]?.increment()
    }

    /// Measures nothing: for sessions made without a server (tests of the bridge alone).
    package static let disabled = CallMetrics(factory: NOOPMetricsHandler.instance)

    package enum Label {
        package static let relayLatency = "voice_relay_latency_seconds"
        package static let responseLatency = "voice_response_latency_seconds"
        package static let realtimeConnections = "voice_realtime_connections_total"
        package static let realtimeReconnects = "voice_realtime_reconnects_total"
    }
}

extension Timer {
    /// Records the time since `start`.
    package func recordElapsed(since start: ContinuousClock.Instant, now: ContinuousClock.Instant = .now) {
        let elapsed = (now - start).components
        recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }
}

/// Why a call's Realtime session was replaced by a new one: the `reason` of `voice_realtime_reconnects_total`.
package enum SessionReplacement: String, Sendable, CaseIterable {
    /// The socket closed or failed under the call.
    case dropped
    /// The service sent an error that ends the session but not the next one.
    case error
    /// The service ended the session at its time limit.
    case sessionExpired = "session_expired"
    /// Replaced on purpose before the limit, at a turn boundary.
    case rollover
}
