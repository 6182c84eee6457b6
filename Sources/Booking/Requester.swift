/// Who is asking the booking system for something: the office (unrestricted), or a caller on the phone, who may see
/// and change only their own bookings.
package enum Requester: Sendable, Equatable {
    /// A client of the MCP server with no call behind it: the office's staff or their tools.
    case staff
    case caller(Caller)

    /// Recorded with every change: `staff`, or the call's SID.
    package var auditName: String {
        switch self {
        case .staff: "staff"
        case .caller(let caller): caller.callSid
        }
    }

    /// Who a text is counted against: `staff`, or the caller's ``Caller/textAllowanceKey``.
    package var textAllowanceKey: String {
        switch self {
        case .staff: "staff"
        case .caller(let caller): caller.textAllowanceKey
        }
    }
}

/// A caller, as the voice server knows them from what Twilio signed.
package struct Caller: Sendable, Equatable {
    package var callSid: String
    /// The number the call comes from, E.164; `nil` when the caller hides it.
    package var number: String?
    /// Whether the carrier vouched for ``number`` (SHAKEN/STIR attestation A, `TN-Validation-Passed-A`); a number
    /// that is not vouched for may be spoofed, so changing a booking then needs a code.
    package var numberIsVerified: Bool

    package init(callSid: String, number: String?, numberIsVerified: Bool) {
        self.callSid = callSid
        self.number = number
        self.numberIsVerified = numberIsVerified
    }

    /// What the hourly text allowance is counted against: the number, or the call when the number is hidden.
    package var textAllowanceKey: String { number ?? callSid }
}

/// What a requester may do with one job.
package enum JobAccess: Sendable, Equatable {
    /// See, change, cancel, and have texts sent to another number.
    case full
    /// The booking is under the number the caller calls from, which the carrier did not vouch for: they may hear it
    /// and have its confirmation sent to its own phone; changing it needs a code.
    case ownNumber
    /// Someone else's booking: nothing about it is shared until the caller reads back a code texted to its phone.
    case none
}
