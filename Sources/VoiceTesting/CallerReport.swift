import NIOWebSocket

/// What a ``SimulatedCaller`` heard and did during one call.
package struct CallerReport: Sendable {
    package struct Clear: Sendable, Equatable {
        /// Assistant audio played before the `clear` arrived, in bytes (8 per millisecond).
        package var playedBytes: Int
        package var at: ContinuousClock.Instant
    }

    /// The `<Stream url>` of the TwiML answer.
    package var streamURL = ""
    /// The `<Parameter>`s of the TwiML answer, by name.
    package var streamParameters: [String: String] = [:]
    /// Media payloads received, in order, exactly as sent by the server.
    package var receivedMedia: [String] = []
    /// When each media payload arrived.
    package var mediaReceivedAt: [String: ContinuousClock.Instant] = [:]
    package var marksEchoed: [String] = []
    package var clears: [Clear] = []
    /// Assistant audio played out, in bytes.
    package var playedBytes = 0
    /// Total audio played at each 20 ms tick that played some: `playedBytes` over time.
    package var playbackTimeline: [(at: ContinuousClock.Instant, playedBytes: Int)] = []
    package var firstAudioPlayedAt: ContinuousClock.Instant?
    package var firstSpeechSentAt: ContinuousClock.Instant?
    /// Messages from the server that Twilio would reject (warning 31951): wrong event, fields or `streamSid`.
    package var violations: [String] = []
    /// How the server closed the stream, if it did.
    package var closeCode: WebSocketErrorCode?
    /// Whether the server closed the stream before the caller hung up.
    package var serverClosedFirst = false

    /// Milliseconds of assistant audio the caller has heard.
    package var playedMilliseconds: Int { playedBytes / MuLaw.bytesPerMillisecond }

    package init() {}

    /// Milliseconds of assistant audio the caller had played by `instant`.
    package func playedMilliseconds(at instant: ContinuousClock.Instant) -> Int {
        (playbackTimeline.last { $0.at <= instant }?.playedBytes ?? 0) / MuLaw.bytesPerMillisecond
    }
}
