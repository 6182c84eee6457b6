import Foundation

/// The operator's Twilio account: `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_PHONE_NUMBER` and
/// `TWILIO_API_BASE_URL`. The voice server uses it for webhook signatures and call control, the booking server for
/// texts and their delivery reports.
package struct TwilioAccount: Sendable, Equatable {
    package var accountSID: String?
    package var authToken: Secret?
    /// `TWILIO_AUTH_TOKEN_SECONDARY`: accepted beside the auth token while it is being rotated.
    package var secondaryAuthToken: Secret?
    /// Our Twilio number, E.164.
    package var phoneNumber: String?
    package var apiBaseURL: URL = URL(string: "https://api.twilio.com")!

    package init() {}

    /// Whether texts can be sent: the account, its token and a number to send from are all set.
    package var canSendTexts: Bool { accountSID != nil && authToken != nil && phoneNumber != nil }
}
