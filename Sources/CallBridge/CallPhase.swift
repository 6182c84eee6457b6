import RealtimeAPI

/// Where a call is in its life, as one value: the session changes it under its lock, and every decision about what
/// to do with a message reads it.
enum CallPhase: Sendable {
    /// The media stream is open; Twilio's `start` has not come yet.
    case waitingForStart
    /// The call started and its Realtime socket is opening: caller audio is kept, the oldest dropped beyond the limit.
    case connecting(bufferedAudio: [String])
    /// Relaying both ways.
    case open(RealtimeEventWriter)
    /// The call is over for this reason and its parts are stopping; nothing more is relayed.
    case ending(CallEnding)
    /// Every part has stopped.
    case finished(CallEnding)

    /// The Realtime socket to write to, when the call is open.
    var writer: RealtimeEventWriter? {
        if case .open(let writer) = self { writer } else { nil }
    }

    /// Whether the call is ending or over.
    var isOver: Bool {
        switch self {
        case .ending, .finished: true
        case .waitingForStart, .connecting, .open: false
        }
    }

    /// Keeps caller audio while connecting, at most `limit` frames; says whether it was kept.
    mutating func buffer(_ payload: String, limit: Int) -> Bool {
        guard case .connecting(var audio) = self else { return false }
        // Let go of the enum's copy first, so the append does not copy the whole buffer.
        self = .waitingForStart
        audio.append(payload)
        if audio.count > limit { audio.removeFirst(audio.count - limit) }
        self = .connecting(bufferedAudio: audio)
        return true
    }

    /// Ends the call for `ending` unless it is already ending: the first reason wins. Says whether this was the first.
    mutating func end(_ ending: CallEnding) -> Bool {
        guard !isOver else { return false }
        self = .ending(ending)
        return true
    }
}
