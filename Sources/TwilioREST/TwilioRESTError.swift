/// A failed Twilio REST request: the HTTP status and, when Twilio sent one, its error code and message.
package struct TwilioRESTError: Error, Sendable, Equatable, CustomStringConvertible {
    package var status: Int
    /// Twilio's error code, e.g. 20404 (not found) or 21211 (invalid number).
    package var code: Int?
    package var message: String

    package init(status: Int, code: Int?, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The resource does not exist (any more): for a call, it is already over.
    package var isNotFound: Bool { status == 404 || code == 20404 }

    package var description: String {
        "Twilio answered \(status)" + (code.map { " (error \($0))" } ?? "") + (message.isEmpty ? "" : ": \(message)")
    }
}
