import Foundation

/// Every sentence the voice server tells the assistant when something on our side fails, in one place. Each is
/// written for the model (what happened, and what to say or offer), and reaches it as a tool's error output.
///
/// The booking rules' own refusals ("that date is fully booked") are the booking system's, in `BookingError`: they
/// come from the booking server, which may be another process.
package enum SpokenFailure {
    /// A tool did not answer within `TOOL_TIMEOUT_SECONDS`.
    package static let toolTimedOut =
        "The booking system did not answer in time. Apologise, and offer to try again or to call back."

    /// A tool failed in a way that has no words of its own.
    package static let somethingWentWrong =
        "Something went wrong on our side. Apologise, and offer to try again or to call back."

    /// The booking MCP server cannot be reached, or stopped answering.
    package static let bookingSystemUnreachable =
        "The booking system cannot be reached right now. Apologise, and offer to take the caller's name and number "
        + "for a call back, or to try again in a minute."

    /// The booking MCP server refused the request itself (a protocol error, not a booking rule).
    package static func bookingSystemRefused(_ reason: String) -> String {
        "The booking system could not do that: \(reason). Apologise, and offer another way."
    }

    /// A tool answered with an error but no words.
    package static let toolFailedSilently = "The tool failed without saying why."

    /// The model's arguments were not a JSON object.
    package static func argumentsNotAnObject(tool: String) -> String {
        "The arguments for \(tool) were not a JSON object. Call it again with valid arguments."
    }

    /// The model called a tool that does not exist.
    package static func noSuchTool(_ name: String) -> String {
        "There is no tool called \(name)."
    }

    /// `transfer_to_human` did not go through at Twilio.
    package static let transferFailed =
        "The transfer did not go through. Apologise, and offer to take a message for a call back."

    /// Output for a side-effect tool call whose response the caller interrupted.
    package static let skippedTool =
        #"{"error":"Not done: the caller interrupted before this ran. Confirm with the caller before trying again."}"#

    /// Output for an `end_call` or `transfer_to_human` the caller talked over.
    package static let callControlCancelled =
        #"{"error":"Not done: the caller started speaking before your last words finished. Listen and answer; end or transfer the call only after saying so again."}"#

    /// Output for a second `end_call` or `transfer_to_human` while one is already under way.
    package static let callControlUnderWay = #"{"error":"Already under way."}"#

    /// `{"error": message}`: how a failure reaches the model as a `function_call_output`.
    package static func errorOutput(_ message: String) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: ["error": message], options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
