import RealtimeAPI

/// Where the assistant's tools come from: the booking system over MCP, call control, or an in-memory set in tests.
package protocol ToolProvider: Sendable {
    /// The tools offered to the model at the start of a call.
    func tools() async throws -> [ToolDefinition]
    /// Runs one tool call and returns the text (usually JSON) the model reads. A thrown ``ToolError`` carries a
    /// sentence the assistant can say; any other error becomes a generic apology.
    func call(_ call: ToolCall) async throws -> String
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

    package init(name: String, arguments: String, callID: String, callSid: String, callerNumber: String?) {
        self.name = name
        self.arguments = arguments
        self.callID = callID
        self.callSid = callSid
        self.callerNumber = callerNumber
    }
}

/// A tool failure the assistant can talk about: `speakableMessage` goes to the model as the tool's error.
package struct ToolError: Error, Sendable, Equatable {
    package var speakableMessage: String

    package init(_ speakableMessage: String) {
        self.speakableMessage = speakableMessage
    }
}
