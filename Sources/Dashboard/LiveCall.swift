import Foundation

/// A call this instance is serving now, as the Today page shows it.
package struct LiveCall: Sendable, Equatable {
    package var callSid: String
    package var caller: String?
    package var startedAt: Date
    /// `greeting`, `talking`, `running check_availability`, `transferring`, `hanging up`.
    package var activity: String

    package init(callSid: String, caller: String?, startedAt: Date, activity: String) {
        self.callSid = callSid
        self.caller = caller
        self.startedAt = startedAt
        self.activity = activity
    }
}
