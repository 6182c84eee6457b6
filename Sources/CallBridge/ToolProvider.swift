import RealtimeAPI

/// Where the assistant's tools come from: the booking system over MCP, call control, or an in-memory set in tests.
package protocol ToolProvider: Sendable {
    /// The tools offered to the model at the start of a call.
    func tools() async throws -> [ToolDefinition]
    /// Runs one tool call and returns what the model reads, with what the call did as data. A thrown ``ToolError``
    /// carries a sentence the assistant can say; any other error becomes a generic apology.
    func call(_ call: ToolCall) async throws -> ToolResult
    /// The call is over: the provider finishes what the call left undone (a booking whose confirmation was never
    /// asked for) and says which jobs the call booked, so its outcome is right even if a tool's answer was lost.
    func callEnded(callSid: String, callerNumber: String?) async -> [String]
}

/// A tool call's answer: the text the model reads, and what the call did, as data. Call records and metrics read
/// ``effects``; nothing reads a tool's name or parses its text to learn what happened (issue 12).
extension ToolProvider {
    /// Providers with nothing to finish book nothing behind the call's back.
    package func callEnded(callSid: String, callerNumber: String?) async -> [String] { [] }
}

package struct ToolResult: Sendable, Equatable {
    /// The `function_call_output` text, usually JSON.
    package var output: String
    package var effects: [ToolEffect]

    package init(_ output: String, effects: [ToolEffect] = []) {
        self.output = output
        self.effects = effects
    }

    /// The job this call booked, if it booked one.
    package var bookedJobID: String? {
        effects.lazy.compactMap { effect -> String? in
            if case .bookedJob(let id) = effect { return id }
            return nil
        }.first
    }
}

/// Something a tool call did that the call's outcome depends on.
package enum ToolEffect: Sendable, Equatable {
    /// A move was booked (or found booked already, on a retry): the job's number.
    case bookedJob(id: String)
}

package struct ToolDefinition: Sendable, Equatable {
    package var name: String
    /// What the tool does, written for the model.
    package var description: String
    /// JSON Schema of the arguments object.
    package var parameters: JSONValue
    /// Whether running it changes something (a booking, an SMS, the call). Such a call is not run when the caller
    /// interrupted the response that asked for it.
    package var hasSideEffects: Bool

    package init(name: String, description: String, parameters: JSONValue, hasSideEffects: Bool) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.hasSideEffects = hasSideEffects
    }
}

/// One function call from the model, with the call it happened on.
package struct ToolCall: Sendable, Equatable {
    package var name: String
    /// The model's arguments, a JSON object as text.
    package var arguments: String
    /// The Realtime `call_id`; with `callSid` it makes an idempotency key no retry can repeat.
    package var callID: String
    package var callSid: String
    /// The caller's number, E.164, when Twilio gave one.
    package var callerNumber: String?
    /// Whether the carrier vouched for ``callerNumber`` (SHAKEN/STIR attestation A).
    package var callerNumberVerified: Bool

    package init(
        name: String,
        arguments: String,
        callID: String,
        callSid: String,
        callerNumber: String?,
        callerNumberVerified: Bool = false
    ) {
        self.name = name
        self.arguments = arguments
        self.callID = callID
        self.callSid = callSid
        self.callerNumber = callerNumber
        self.callerNumberVerified = callerNumberVerified
    }
}

/// A tool failure the assistant can talk about: `speakableMessage` goes to the model as the tool's error.
package struct ToolError: Error, Sendable, Equatable {
    package var speakableMessage: String

    package init(_ speakableMessage: String) {
        self.speakableMessage = speakableMessage
    }
}
