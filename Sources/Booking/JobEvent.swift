import Foundation

/// One change in a job's life: booked, confirmed, rescheduled, cancelled, … — who made it, when, and why.
package struct JobEvent: Sendable, Equatable, Codable {
    package var at: Date
    /// `staff`, or the SID of the call that made the change (``Requester/auditName``).
    package var by: String
    /// `nil` when the job was booked.
    package var from: JobStatus?
    package var to: JobStatus
    /// What happened, in a few words ("booked for the morning of Friday, December 4").
    package var reason: String

    package init(at: Date, by: String, from: JobStatus?, to: JobStatus, reason: String) {
        self.at = at
        self.by = by
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// A delivery report that came before its message's Twilio SID was saved: kept until the SID is known.
package struct DeliveryReport: Sendable, Equatable {
    package var twilioSid: String
    package var status: String
    package var error: String?
    package var receivedAt: Date

    package init(twilioSid: String, status: String, error: String?, receivedAt: Date) {
        self.twilioSid = twilioSid
        self.status = status
        self.error = error
        self.receivedAt = receivedAt
    }
}
