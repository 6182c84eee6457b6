import Booking
import Foundation

/// A booking store whose inserts wait before they reach the database: a slow or distant database, for tests of what
/// happens when a booking commits after its tool's deadline.
package struct SlowBookingStore: BookingStore {
    let base: any BookingStore
    let insertDelay: Duration

    package init(base: any BookingStore, insertDelay: Duration) {
        self.base = base
        self.insertDelay = insertDelay
    }

    package func insert(
        _ job: Job,
        holding windows: [TimeWindow],
        idempotencyKey: String?
    ) async throws -> (job: Job, created: Bool) {
        try await Task.sleep(for: insertDelay)
        return try await base.insert(job, holding: windows, idempotencyKey: idempotencyKey)
    }

    package func prepare(crews: [Crew], trucks: [Truck]) async throws {
        try await base.prepare(crews: crews, trucks: trucks)
    }
    package func usage(on date: CalendarDate, excluding jobID: String?) async throws -> [TimeWindow: SlotUsage] {
        try await base.usage(on: date, excluding: jobID)
    }
    package func job(id: String) async throws -> Job? { try await base.job(id: id) }
    package func job(idempotencyKey: String) async throws -> Job? { try await base.job(idempotencyKey: idempotencyKey) }
    package func jobs(phone: String) async throws -> [Job] { try await base.jobs(phone: phone) }
    package func jobs(callSid: String) async throws -> [Job] { try await base.jobs(callSid: callSid) }
    package func updateStatus(
        jobID: String,
        expected: JobStatus,
        to status: JobStatus,
        at: Date,
        by: String
    ) async throws
        -> Job?
    { try await base.updateStatus(jobID: jobID, expected: expected, to: status, at: at, by: by) }
    package func move(
        jobID: String,
        expected: JobStatus,
        to slot: Slot,
        holding windows: [TimeWindow],
        status: JobStatus,
        at: Date,
        by: String
    ) async throws -> Job? {
        try await base.move(
            jobID: jobID,
            expected: expected,
            to: slot,
            holding: windows,
            status: status,
            at: at,
            by: by
        )
    }
    package func history(jobID: String) async throws -> [JobEvent] { try await base.history(jobID: jobID) }
    package func keepDeliveryReport(_ report: DeliveryReport) async throws { try await base.keepDeliveryReport(report) }
    package func takeDeliveryReport(twilioSid: String) async throws -> DeliveryReport? {
        try await base.takeDeliveryReport(twilioSid: twilioSid)
    }
    package func insertVerification(_ verification: CallerVerification) async throws {
        try await base.insertVerification(verification)
    }
    package func latestVerification(jobID: String, callSid: String) async throws -> CallerVerification? {
        try await base.latestVerification(jobID: jobID, callSid: callSid)
    }
    package func updateVerification(_ verification: CallerVerification) async throws {
        try await base.updateVerification(verification)
    }
    package func isVerified(jobID: String, callSid: String) async throws -> Bool {
        try await base.isVerified(jobID: jobID, callSid: callSid)
    }
    package func textCount(jobID: String, since: Date) async throws -> Int {
        try await base.textCount(jobID: jobID, since: since)
    }
    package func textCount(requestedBy: String, since: Date) async throws -> Int {
        try await base.textCount(requestedBy: requestedBy, since: since)
    }
    package func latestOutboxMessage(jobID: String, kind: String) async throws -> OutboxMessage? {
        try await base.latestOutboxMessage(jobID: jobID, kind: kind)
    }
    package func insertOutboxMessage(_ message: OutboxMessage) async throws -> OutboxMessage {
        try await base.insertOutboxMessage(message)
    }
    package func outboxMessage(id: String) async throws -> OutboxMessage? { try await base.outboxMessage(id: id) }
    package func outboxMessage(twilioSid: String) async throws -> OutboxMessage? {
        try await base.outboxMessage(twilioSid: twilioSid)
    }
    package func outboxMessages(status: String, dueBy: Date?, limit: Int) async throws -> [OutboxMessage] {
        try await base.outboxMessages(status: status, dueBy: dueBy, limit: limit)
    }
    package func updateOutboxMessage(_ message: OutboxMessage, expectedStatus: String) async throws -> OutboxMessage? {
        try await base.updateOutboxMessage(message, expectedStatus: expectedStatus)
    }
}
