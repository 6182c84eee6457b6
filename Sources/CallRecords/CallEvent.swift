/// Something that happened on a call, as the call record keeps it.
package enum CallEvent: Sendable, Equatable {
    /// A status callback from Twilio (`ringing`, `in-progress`, `completed`, …), with the duration on the last one.
    case status(String, durationSeconds: Int?)
    /// A line of the caller's, from the input transcription.
    case callerSaid(String)
    /// A line of the assistant's, from its output transcript.
    case assistantSaid(String)
    /// A tool call: its name, how long it took, whether it succeeded, and (when known) the arguments the model gave
    /// and the result it read.
    case tool(name: String, latencyMilliseconds: Int, ok: Bool, arguments: String? = nil, result: String? = nil)
    /// The caller talked over the assistant, who stopped; `heardMilliseconds` of its reply had played.
    case bargeIn(heardMilliseconds: Int?)
    /// The caller waited this long for an answer: from the end of their speech to the first audio of the reply.
    case responseLatency(milliseconds: Int)
    /// Twilio's recording status callback (`RECORD_CALLS`): the recording's SID, its status (`completed`,
    /// `absent`, `failed`) and length.
    case recording(sid: String, status: String, durationSeconds: Int?)
    /// The tokens of one response and what they cost, in millionths of a dollar.
    case usage(inputTokens: Int, outputTokens: Int, costMicroDollars: Int)
    /// The Realtime session was replaced mid-call, for this reason (`dropped`, `error`, `session_expired`,
    /// `rollover`); the conversation went on in the new one.
    case sessionReplaced(String)
    /// Why the call could not be served (it then ends `failed`).
    case failure(String)
    /// How the call ended, and the job it booked if any.
    case outcome(CallOutcome, jobID: String?)
}

package enum CallOutcome: String, Sendable, Hashable, Codable {
    /// A move was booked on the call.
    case booked
    /// The assistant handed the call to a person.
    case transferred
    /// The assistant said goodbye and hung up.
    case endedByAssistant = "ended_by_assistant"
    /// The caller hung up.
    case endedByCaller = "ended_by_caller"
    /// The server ended the call while shutting down (it outlasted `DRAIN_SECONDS`).
    case endedByServer = "ended_by_server"
    /// The call could not be served (the assistant was unreachable, or the session broke).
    case failed
}
