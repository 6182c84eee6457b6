/// What the fake Realtime service says, in order: each response it is asked for (the greeting, one per caller
/// turn, one per follow-up after tools) takes the next entry.
package struct FakeRealtimeScript: Sendable {
    package var responses: [ScriptedResponse]
    /// The transcripts of the caller's turns, in order; used for `…input_audio_transcription.completed`.
    package var callerTranscripts: [String]
    /// Said when the script has run out.
    package var fallback: ScriptedResponse

    package init(
        responses: [ScriptedResponse],
        callerTranscripts: [String] = [],
        fallback: ScriptedResponse = .speech("Is there anything else I can help you with?", milliseconds: 800)
    ) {
        self.responses = responses
        self.callerTranscripts = callerTranscripts
        self.fallback = fallback
    }
}

package enum ScriptedResponse: Sendable, Equatable {
    /// An assistant audio message of this length, with this transcript.
    case speech(String, milliseconds: Int)
    /// Function calls, optionally after a short spoken preamble.
    case functionCalls([ScriptedFunctionCall], preamble: String? = nil, preambleMilliseconds: Int = 0)
    /// The service drops the connection instead of answering.
    case disconnect
}

package struct ScriptedFunctionCall: Sendable, Equatable {
    package var name: String
    /// A JSON object, as text. `{{name}}` stands for the string field `name` of the latest tool output that has
    /// one (for example `{{job_id}}` after a booking), or else for what the caller knows
    /// (``FakeRealtimeServer/Options/callerKnowledge``).
    package var arguments: String

    package init(name: String, arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}
