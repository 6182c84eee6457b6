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

    /// What a failed request means for whoever made it (`../shared/protocols/twilio.md` §5.1).
    package enum Kind: Sendable, Equatable {
        /// 21211: not a valid phone number. Ask for the number again; never retry.
        case invalidNumber
        /// 21610: the recipient replied STOP. Never retry; they must text START.
        case unsubscribed
        /// 21614: not a mobile number, so it cannot receive texts. Never retry.
        case notMobile
        /// 429 / 20429: too many requests, not processed. Safe to retry after a pause.
        case rateLimited
        /// 5xx: Twilio failed; whether it acted is unknown.
        case serverError
        /// Anything else (credentials, our configuration): retrying will not help.
        case other
    }

    package var kind: Kind {
        switch code {
        case 21211: return .invalidNumber
        case 21610: return .unsubscribed
        case 21614: return .notMobile
        case 20429: return .rateLimited
        default: break
        }
        if status == 429 { return .rateLimited }
        if status >= 500 { return .serverError }
        return .other
    }

    package var description: String {
        "Twilio answered \(status)" + (code.map { " (error \($0))" } ?? "") + (message.isEmpty ? "" : ": \(message)")
    }
}
