import RealtimeAPI

/// Tools the bridge answers itself, because they act on the call: hanging up and handing over to a person.
///
/// Either runs only once the response that asked for it is finished and its audio has played, so the caller hears
/// the goodbye (or "connecting you now") in full; a barge-in before that cancels it.
package enum CallControlTool: String, Sendable, CaseIterable {
    case endCall = "end_call"
    case transferToHuman = "transfer_to_human"

    package var definition: ToolDefinition {
        switch self {
        case .endCall:
            ToolDefinition(
                name: rawValue,
                description: """
                    Hang up. Call it only after you have said goodbye in this same response and the caller has \
                    nothing more to ask. The line closes once your goodbye has played.
                    """,
                parameters: ["type": "object", "properties": [:]],
                hasSideEffects: true
            )
        case .transferToHuman:
            ToolDefinition(
                name: rawValue,
                description: """
                    Hand the call to a person at the company: when the caller asks for one, or for something you \
                    cannot do. First tell the caller you are connecting them; the transfer starts once that has played.
                    """,
                parameters: [
                    "type": "object",
                    "properties": [
                        "reason": ["type": "string", "description": "Why, in a few words, for the dispatcher."]
                    ],
                ],
                hasSideEffects: true
            )
        }
    }
}
