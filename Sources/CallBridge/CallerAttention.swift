/// What the call does about a caller who has gone quiet, and about its time limit (issue 14, part 5): a value the
/// ``CallStateMachine`` keeps and asks; the timing and the I/O are the session's.
package struct CallerAttention: Sendable {
    /// What a silence calls for.
    enum SilenceStep: Sendable, Equatable {
        /// Ask the assistant for a response with these instructions.
        case prompt(String)
        /// Hang up: the caller did not answer the goodbye either.
        case hangUp
    }

    package static let stillThere =
        "The caller has been silent for a while. Ask briefly, in one short sentence, whether they are still there."
    package static let silentGoodbye =
        "The caller is still silent. Say a short goodbye, invite them to call back any time, then call end_call."
    package static let wrapUp =
        "The call has reached its time limit. Briefly wrap up: confirm anything decided, offer to continue in a new "
        + "call, say goodbye, then call end_call."

    private var lastActivityAt: ContinuousClock.Instant?
    private var callerSpeaking = false
    /// Silences in a row the assistant has spoken into.
    private var silences = 0
    package static let serverClosing =
        "This phone line is closing for maintenance in a moment. Briefly apologise, confirm anything decided (nothing "
        + "booked is lost), tell the caller they can call back in a few minutes, say goodbye, then call end_call."

    /// The wrap-ups already asked for: each once per call.
    private var wrapUpsAsked: Set<String> = []
    /// Instructions for the next response, waiting for the one in progress to finish.
    private var waitingInstructions: String?

    mutating func callerStartedSpeaking(at now: ContinuousClock.Instant) {
        callerSpeaking = true
        silences = 0
        lastActivityAt = now
    }

    mutating func callerStoppedSpeaking(at now: ContinuousClock.Instant) {
        callerSpeaking = false
        lastActivityAt = now
    }

    /// The assistant is talking, or its audio is playing.
    mutating func assistantActive(at now: ContinuousClock.Instant) {
        lastActivityAt = now
    }

    /// What to do now, if the line has been quiet for `silence` (the caller asked may or may not be listening).
    mutating func silenceDue(at now: ContinuousClock.Instant, after silence: Duration) -> SilenceStep? {
        guard !callerSpeaking, let last = lastActivityAt, now - last >= silence else { return nil }
        lastActivityAt = now
        silences += 1
        switch silences {
        case 1: return .prompt(Self.stillThere)
        case 2: return .prompt(Self.silentGoodbye)
        default: return .hangUp
        }
    }

    /// The wrap-up instructions, kept until a response can be asked for; each only once per call.
    mutating func wrapUp(_ instructions: String = Self.wrapUp) -> String {
        if wrapUpsAsked.insert(instructions).inserted {
            waitingInstructions = instructions
        }
        return instructions
    }

    mutating func takeWaitingInstructions() -> String? {
        defer { waitingInstructions = nil }
        return waitingInstructions
    }
}
