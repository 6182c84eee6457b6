import Foundation

/// Where jobs live. The store enforces capacity itself: a crew or a truck is held by at most one job per date and
/// window, for every window a job holds (a long move holds the next window too), so that two callers racing for the
/// last crew, in the same window or across windows, cannot both win.
package protocol BookingStore: Sendable {
    /// Runs the migrations and records the fleet; safe to call at every start.
    func prepare(crews: [Crew], trucks: [Truck]) async throws

    /// Crews and trucks held on `date`, per window; with `excluding`, not counting what that job holds (a job being
    /// moved may keep its own crew and truck).
    func usage(on date: CalendarDate, excluding jobID: String?) async throws -> [TimeWindow: SlotUsage]

    /// Inserts a new job, holding its crew and truck for `windows`, with its first history entry, in one
    /// transaction. A job made on a call for the same phone, date and window as a live job that call already made
    /// is not inserted: that job is returned (`created` false), whatever the idempotency key — one booking per
    /// intent, even when the first attempt's answer was lost. Throws ``StoreConflict`` when the database refuses it.
    func insert(
        _ job: Job,
        holding windows: [TimeWindow],
        idempotencyKey: String?
    ) async throws -> (job: Job, created: Bool)

    func job(id: String) async throws -> Job?
    func job(idempotencyKey: String) async throws -> Job?
    /// The jobs booked for this phone number, soonest first.
    func jobs(phone: String) async throws -> [Job]

    /// Jobs a call made, oldest first.
    func jobs(callSid: String) async throws -> [Job]

    /// Changes a job's status if it still has `expected` (compare-and-set), recording `by` as who changed it and
    /// adding to its history; a cancelled job frees its crew and truck. Returns the updated job, or `nil` if the
    /// job changed meanwhile.
    func updateStatus(
        jobID: String,
        expected: JobStatus,
        to status: JobStatus,
        at: Date,
        by: String
    ) async throws -> Job?

    /// Moves a job that still has `expected` to a new slot, holding `windows`, in one transaction: the new crew and
    /// truck are held and the old ones freed together. Returns `nil` if the job changed meanwhile (a cancel at the
    /// same moment stays a cancel); throws ``StoreConflict/slot`` if the new slot is taken.
    func move(
        jobID: String,
        expected: JobStatus,
        to slot: Slot,
        holding windows: [TimeWindow],
        status: JobStatus,
        at: Date,
        by: String
    ) async throws -> Job?

    /// The job's history, oldest first.
    func history(jobID: String) async throws -> [JobEvent]

    /// Keeps a delivery report whose message is not known yet.
    func keepDeliveryReport(_ report: DeliveryReport) async throws
    /// The report kept for `twilioSid`, removed; `nil` if none was kept.
    func takeDeliveryReport(twilioSid: String) async throws -> DeliveryReport?

    /// Keeps a one-time code's record (its hash, never the code).
    func insertVerification(_ verification: CallerVerification) async throws
    /// The latest code sent for `jobID` on `callSid`.
    func latestVerification(jobID: String, callSid: String) async throws -> CallerVerification?
    /// Writes a code's tries and when it was read back.
    func updateVerification(_ verification: CallerVerification) async throws
    /// Whether the caller on `callSid` read back a code for `jobID`.
    func isVerified(jobID: String, callSid: String) async throws -> Bool

    /// Texts about `jobID` (outbox messages and codes) created since `since`.
    func textCount(jobID: String, since: Date) async throws -> Int
    /// Texts asked for by `requestedBy` (``Caller/textAllowanceKey``) since `since`.
    func textCount(requestedBy: String, since: Date) async throws -> Int

    /// The latest message of `kind` for a job, if any.
    func latestOutboxMessage(jobID: String, kind: String) async throws -> OutboxMessage?
    /// Adds a message to the outbox; throws ``StoreConflict/outbox`` if that sequence number exists.
    func insertOutboxMessage(_ message: OutboxMessage) async throws -> OutboxMessage
    func outboxMessage(id: String) async throws -> OutboxMessage?
    func outboxMessage(twilioSid: String) async throws -> OutboxMessage?
    /// Messages with `status`, oldest first; with `dueBy`, only those whose next attempt is due by then.
    func outboxMessages(status: String, dueBy: Date?, limit: Int) async throws -> [OutboxMessage]
    /// Writes `message`'s delivery fields (status, Twilio SID, attempts, error, next attempt) if the stored status
    /// is still `expectedStatus` (compare-and-set); returns the stored message, or `nil` if it changed meanwhile.
    func updateOutboxMessage(_ message: OutboxMessage, expectedStatus: String) async throws -> OutboxMessage?
}

extension BookingStore {
    /// Crews and trucks held on `date`, per window.
    package func usage(on date: CalendarDate) async throws -> [TimeWindow: SlotUsage] {
        try await usage(on: date, excluding: nil)
    }
}

/// A slot with the crew and truck that will do it.
package struct Slot: Sendable, Equatable {
    package var date: CalendarDate
    package var window: TimeWindow
    package var crewID: String
    package var truckID: String

    package init(date: CalendarDate, window: TimeWindow, crewID: String, truckID: String) {
        self.date = date
        self.window = window
        self.crewID = crewID
        self.truckID = truckID
    }
}

package struct SlotUsage: Sendable, Equatable {
    package var crewIDs: Set<String> = []
    package var truckIDs: Set<String> = []

    package init(crewIDs: Set<String> = [], truckIDs: Set<String> = []) {
        self.crewIDs = crewIDs
        self.truckIDs = truckIDs
    }
}

/// The database refused a write because of a unique constraint.
package enum StoreConflict: Error, Sendable, Equatable {
    /// The crew or the truck is already booked for that date and window.
    case slot
    /// A job with that idempotency key exists.
    case idempotencyKey
    /// That job id exists (ids are random; try another).
    case jobID
    case outbox
    /// A unique constraint refused the write, but the database did not say which (SQLite sometimes reports
    /// "not an error" as the message of a unique failure under load); the store finds out before it answers.
    case unidentified
}

/// A message to send, written before it is sent so it is never lost and never sent twice.
package struct OutboxMessage: Sendable, Equatable, Codable {
    package var id: String
    package var jobID: String
    /// e.g. `booking_confirmation`.
    package var kind: String
    /// 1 for the first message of this kind for the job; each deliberate resend adds one.
    package var sequence: Int
    /// E.164.
    package var recipient: String
    package var body: String
    /// One of ``Status``'s, or the status Twilio last reported (`queued`, `sent`, `delivered`, `undelivered`, …).
    package var status: String
    package var createdAt: Date
    /// Twilio's `SM…` id, recorded as soon as Twilio accepts the message.
    package var twilioSid: String?
    /// How many times a sender has tried to send it.
    package var attempts: Int
    /// Why the last attempt failed, or why it was not sent.
    package var lastError: String?
    /// When a pending message may be tried again.
    package var nextAttemptAt: Date?
    package var updatedAt: Date?
    /// Who asked for it: `staff`, or the caller's ``Caller/textAllowanceKey``.
    package var requestedBy: String?

    /// How far along a message with `status` is: delivery reports may arrive out of order, and a later one never
    /// moves a message back.
    package static func progress(of status: String) -> Int {
        switch status {
        case Status.pending, Status.claimed: 0
        case "accepted", "scheduled", "queued": 1
        case "sending": 2
        case "sent": 3
        case "delivered", "undelivered", "failed", "read", "canceled": 4
        default: 0
        }
    }

    /// The statuses the outbox itself gives a message; Twilio's come after `claimed`.
    package enum Status {
        /// Waiting for a sender: not tried yet, or to be tried again at `nextAttemptAt`.
        package static let pending = "pending"
        /// A sender is sending it. Found so after a crash, it is looked up at Twilio before any new attempt.
        package static let claimed = "claimed"
        /// Not sent, for good: `lastError` says why.
        package static let failed = "failed"
        /// Not sent: there are no Twilio credentials.
        package static let disabled = "disabled"
    }

    package init(
        id: String,
        jobID: String,
        kind: String,
        sequence: Int,
        recipient: String,
        body: String,
        status: String,
        createdAt: Date,
        twilioSid: String? = nil,
        attempts: Int = 0,
        lastError: String? = nil,
        nextAttemptAt: Date? = nil,
        updatedAt: Date? = nil,
        requestedBy: String? = nil
    ) {
        self.id = id
        self.jobID = jobID
        self.kind = kind
        self.sequence = sequence
        self.recipient = recipient
        self.body = body
        self.status = status
        self.createdAt = createdAt
        self.twilioSid = twilioSid
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.updatedAt = updatedAt
        self.requestedBy = requestedBy
    }
}
