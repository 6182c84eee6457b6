import CoreMetrics
import RealtimeAPI

/// How long the caller waits: from the service's `speech_stopped` to the first assistant audio sent after it.
/// A plain value the session keeps under its lock.
struct ResponseLatency: Sendable {
    private var speechStoppedAt: ContinuousClock.Instant?

    /// Notes `event`; for the first assistant audio relayed after the caller stopped talking, returns when they stopped.
    mutating func observe(
        _ event: RealtimeServerEvent,
        arrivedAt: ContinuousClock.Instant,
        relayed: Bool
    ) -> ContinuousClock.Instant? {
        switch event {
        case .speechStopped:
            speechStoppedAt = arrivedAt
            return nil
        case .outputAudioDelta where relayed:
            defer { speechStoppedAt = nil }
            return speechStoppedAt
        default:
            return nil
        }
    }
}

extension CallMetrics {
    /// Records an assistant delta's time in the server and, when it answers the caller, the caller's wait.
    func assistantAudioSent(
        arrivedAt: ContinuousClock.Instant,
        speechStoppedAt: ContinuousClock.Instant?,
        now: ContinuousClock.Instant = .now
    ) {
        assistantAudioRelay.recordElapsed(since: arrivedAt, now: now)
        if let speechStoppedAt {
            responseLatency.recordElapsed(since: speechStoppedAt, now: now)
        }
    }
}
