import RealtimeAPI

/// Where a call's session reports what happened on it, for the call record. `record` must not wait on storage:
/// the session calls it from the Realtime read loop.
package protocol CallJournal: Sendable {
    func record(_ entry: CallJournalEntry) async
    /// Returns once everything recorded is stored; the session calls it last, after the stream has closed.
    func flush() async
}

extension CallJournal {
    package func flush() async {}
}

package enum CallJournalEntry: Sendable, Equatable {
    case callerSaid(String)
    case assistantSaid(String)
    case usage(RealtimeUsage)
    /// A tool call, the arguments the model gave (JSON), and what came of it (the outcome's `output` is what the
    /// model read).
    case tool(name: String, arguments: String, milliseconds: Int, outcome: ToolRunner.Outcome)
    /// A tool call began (a booking tool, or call control: `end_call`, `transfer_to_human`).
    case toolStarted(name: String)
    /// The caller talked over the assistant; `heardMilliseconds` of its reply had played.
    case bargeIn(heardMilliseconds: Int?)
    /// The caller waited this long for an answer: from the end of their speech to the reply's first audio sent.
    case responseLatency(milliseconds: Int)
    /// The Realtime session was replaced by a new one, the conversation restored there.
    case sessionReplaced(SessionReplacement)
    /// When the call ended, the booking system said the call booked this job (its tool's answer may have been
    /// lost to a deadline or a hang-up).
    case jobBooked(String)
    /// Why the call could not be served, before it ends as ``CallEnding/failed``.
    case failed(reason: String)
    /// The session is over, and this is how.
    case ended(CallEnding)
}

package enum CallEnding: Sendable, Equatable {
    /// `end_call`: the assistant said goodbye and hung up.
    case assistantHungUp
    /// `transfer_to_human` went through.
    case transferred
    /// Twilio ended the stream: the caller hung up (or the call was ended elsewhere).
    case callerHungUp
    /// The assistant could not be reached, or the session broke.
    case failed
    /// The server closed the call: it was shutting down and the call outlasted `DRAIN_SECONDS`.
    case endedByServer
}
