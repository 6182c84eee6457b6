import Booking
import Foundation
import Logging
import PostgresKit
import SQLKit
import SQLStorage
import SQLiteKit

/// The booking store over SQLKit: one code path for SQLite and PostgreSQL.
///
/// Capacity is the database's job: `resource_claims` has one row per crew or truck, date and window a live job holds
/// (every window its length covers), under a primary key, written in the same transaction as the job; so two
/// callers racing for the last crew or truck, in one window or across windows, cannot both win. A reschedule frees
/// the old claims and takes the new ones in one transaction; a cancel frees them. Every change of a job adds to its
/// history (`job_events`) in the same transaction.
package final class SQLBookingStore: BookingStore {
    package let storage: SQLStorage
    var database: any SQLDatabase { storage.database }
    private let logger: Logger

    /// The store keeps its tables in `storage`, which its opener closes.
    package init(storage: SQLStorage, logger: Logger) {
        self.storage = storage
        self.logger = logger
    }

    // MARK: BookingStore

    package func prepare(crews: [Crew], trucks: [Truck]) async throws {
        try await BookingMigrations.all.run(on: storage, logger: logger)
        for crew in crews {
            try await database.raw(
                """
                INSERT INTO crews (id, name, size) VALUES (\(bind: crew.id), \(bind: crew.name), \(bind: crew.size))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, size = excluded.size
                """
            ).run()
        }
        for truck in trucks {
            try await database.raw(
                """
                INSERT INTO trucks (id, name, size) VALUES (\(bind: truck.id), \(bind: truck.name), \(bind: truck.size.rawValue))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, size = excluded.size
                """
            ).run()
        }
    }

    package func usage(on date: CalendarDate, excluding jobID: String?) async throws -> [TimeWindow: SlotUsage] {
        let rows = try await database.raw(
            """
            SELECT resource_kind, resource_id, time_window FROM resource_claims WHERE move_date = \(bind: date.iso)
            AND job_id <> \(bind: jobID ?? "")
            """
        ).all()
        var usage: [TimeWindow: SlotUsage] = [:]
        for row in rows {
            guard let window = TimeWindow(rawValue: try row.decode(column: "time_window", as: String.self)) else {
                continue
            }
            let id = try row.decode(column: "resource_id", as: String.self)
            switch try row.decode(column: "resource_kind", as: String.self) {
            case "crew": usage[window, default: SlotUsage()].crewIDs.insert(id)
            case "truck": usage[window, default: SlotUsage()].truckIDs.insert(id)
            default: continue
            }
        }
        return usage
    }

    package func insert(
        _ job: Job,
        holding windows: [TimeWindow],
        idempotencyKey: String?
    ) async throws -> (job: Job, created: Bool) {
        let backend = storage.backend
        do {
            return try await storage.transaction { database in
                if let callSid = job.callSid {
                    if backend == .postgres {
                        // One booking at a time per call, on every instance: a second attempt waits here until the
                        // first has committed, and then finds its job.
                        let key = SQLStorage.advisoryLockKey(callSid)
                        try await database.raw("SELECT pg_advisory_xact_lock(\(bind: key))").run()
                    }
                    let existing = try await database.raw(
                        """
                        SELECT * FROM jobs WHERE call_sid = \(bind: callSid) AND phone = \(bind: job.phone)
                        AND move_date = \(bind: job.date.iso) AND time_window = \(bind: job.window.rawValue)
                        AND status <> 'cancelled' ORDER BY created_at LIMIT 1
                        """
                    ).first().map(Self.job(from:))
                    if let existing { return (existing, false) }
                }
                try await database.raw(
                    """
                    INSERT INTO jobs (id, customer_name, phone, email, pickup_address, dropoff_address, move_date,
                    time_window, home_size, special_items, estimated_hours, crew_id, truck_id, crew_size,
                    price_estimate_cents, status, notes, call_sid, idempotency_key, created_at, updated_at, updated_by)
                    VALUES (\(bind: job.id), \(bind: job.customerName), \(bind: job.phone), \(bind: job.email),
                    \(bind: job.pickupAddress), \(bind: job.dropoffAddress), \(bind: job.date.iso),
                    \(bind: job.window.rawValue), \(bind: job.homeSize.rawValue), \(bind: job.specialItems),
                    \(bind: job.estimatedHours), \(bind: job.crewID), \(bind: job.truckID), \(bind: job.crewSize),
                    \(bind: job.priceEstimateCents), \(bind: job.status.rawValue), \(bind: job.notes), \(bind: job.callSid),
                    \(bind: idempotencyKey), \(bind: SQLTimestamp.text(job.createdAt)),
                    \(bind: SQLTimestamp.text(job.updatedAt)), \(bind: job.updatedBy))
                    """
                ).run()
                try await Self.hold(job, windows: windows, on: database)
                try await Self.record(
                    JobEvent(
                        at: job.createdAt,
                        by: job.updatedBy ?? job.callSid ?? "staff",
                        from: nil,
                        to: job.status,
                        reason: "booked for " + Self.spoken(windows, on: job.date)
                    ),
                    jobID: job.id,
                    on: database
                )
                return (job, true)
            }
        } catch {
            guard let conflict = Self.conflict(in: error) else { throw error }
            guard conflict == .unidentified else { throw conflict }
            // The database did not say which constraint: the rows say it (the transaction is over by now).
            if let idempotencyKey, try await self.job(idempotencyKey: idempotencyKey) != nil {
                throw StoreConflict.idempotencyKey
            }
            if try await self.job(id: job.id) != nil { throw StoreConflict.jobID }
            throw StoreConflict.slot
        }
    }

    /// Holds `job`'s crew and truck for `windows` of its date: one statement, so all or none.
    private static func hold(_ job: Job, windows: [TimeWindow], on database: any SQLDatabase) async throws {
        let insert = database.insert(into: "resource_claims")
            .columns("resource_kind", "resource_id", "move_date", "time_window", "job_id")
        for window in windows {
            for (kind, id) in [("crew", job.crewID), ("truck", job.truckID)] {
                insert.values(
                    SQLBind(kind),
                    SQLBind(id),
                    SQLBind(job.date.iso),
                    SQLBind(window.rawValue),
                    SQLBind(job.id)
                )
            }
        }
        try await insert.run()
    }

    /// Adds `event` after the job's last one (the job's row is locked by the transaction's write to it).
    private static func record(_ event: JobEvent, jobID: String, on database: any SQLDatabase) async throws {
        try await database.raw(
            """
            INSERT INTO job_events (id, job_id, sequence, at, by_whom, from_status, to_status, reason)
            SELECT \(bind: UUID().uuidString.lowercased()), \(bind: jobID), COALESCE(MAX(sequence), 0) + 1,
            \(bind: SQLTimestamp.text(event.at)), \(bind: event.by), \(bind: event.from?.rawValue),
            \(bind: event.to.rawValue), \(bind: event.reason) FROM job_events WHERE job_id = \(bind: jobID)
            """
        ).run()
    }

    /// "the morning and afternoon of Friday, December 4".
    private static func spoken(_ windows: [TimeWindow], on date: CalendarDate) -> String {
        "the " + windows.map(\.rawValue).joined(separator: " and ") + " of " + date.spoken
    }

    package func job(id: String) async throws -> Job? {
        try await database.raw("SELECT * FROM jobs WHERE id = \(bind: id)").first().map(Self.job(from:))
    }

    package func job(idempotencyKey: String) async throws -> Job? {
        try await database.raw("SELECT * FROM jobs WHERE idempotency_key = \(bind: idempotencyKey)").first()
            .map(Self.job(from:))
    }

    package func jobs(phone: String) async throws -> [Job] {
        try await database.raw("SELECT * FROM jobs WHERE phone = \(bind: phone) ORDER BY move_date, time_window, id")
            .all().map(Self.job(from:))
    }

    package func jobs(callSid: String) async throws -> [Job] {
        try await database.raw("SELECT * FROM jobs WHERE call_sid = \(bind: callSid) ORDER BY created_at, id")
            .all().map(Self.job(from:))
    }

    package func updateStatus(
        jobID: String,
        expected: JobStatus,
        to status: JobStatus,
        at: Date,
        by: String
    ) async throws -> Job? {
        try await storage.transaction { database in
            guard
                let updated = try await database.raw(
                    """
                    UPDATE jobs SET status = \(bind: status.rawValue), updated_at = \(bind: SQLTimestamp.text(at)),
                    updated_by = \(bind: by) WHERE id = \(bind: jobID) AND status = \(bind: expected.rawValue)
                    RETURNING *
                    """
                ).first().map(Self.job(from:))
            else { return nil }
            if status == .cancelled {
                try await database.raw("DELETE FROM resource_claims WHERE job_id = \(bind: jobID)").run()
            }
            try await Self.record(
                JobEvent(at: at, by: by, from: expected, to: status, reason: status.spoken),
                jobID: jobID,
                on: database
            )
            return updated
        }
    }

    package func move(
        jobID: String,
        expected: JobStatus,
        to slot: Slot,
        holding windows: [TimeWindow],
        status: JobStatus,
        at: Date,
        by: String
    ) async throws -> Job? {
        do {
            return try await storage.transaction { database in
                // Only while the job still has the status it was read with: a cancel at the same moment wins.
                guard
                    let moved = try await database.raw(
                        """
                        UPDATE jobs SET move_date = \(bind: slot.date.iso), time_window = \(bind: slot.window.rawValue),
                        crew_id = \(bind: slot.crewID), truck_id = \(bind: slot.truckID), status = \(bind: status.rawValue),
                        updated_at = \(bind: SQLTimestamp.text(at)), updated_by = \(bind: by)
                        WHERE id = \(bind: jobID) AND status = \(bind: expected.rawValue) RETURNING *
                        """
                    ).first().map(Self.job(from:))
                else { return nil }
                try await database.raw("DELETE FROM resource_claims WHERE job_id = \(bind: jobID)").run()
                try await Self.hold(moved, windows: windows, on: database)
                try await Self.record(
                    JobEvent(
                        at: at,
                        by: by,
                        from: expected,
                        to: status,
                        reason: "moved to " + Self.spoken(windows, on: slot.date)
                    ),
                    jobID: jobID,
                    on: database
                )
                return moved
            }
        } catch {
            throw Self.conflict(in: error, unidentified: .slot) ?? error
        }
    }

    package func history(jobID: String) async throws -> [JobEvent] {
        try await database.raw("SELECT * FROM job_events WHERE job_id = \(bind: jobID) ORDER BY sequence").all().map {
            row in
            let from = try row.decode(column: "from_status", as: String?.self)
            guard let to = JobStatus(rawValue: try row.decode(column: "to_status", as: String.self)) else {
                throw BookingError.storageFailure("a job event with an unknown status")
            }
            return JobEvent(
                at: try SQLTimestamp.date(row.decode(column: "at", as: String.self)),
                by: try row.decode(column: "by_whom", as: String.self),
                from: from.flatMap(JobStatus.init(rawValue:)),
                to: to,
                reason: try row.decode(column: "reason", as: String.self)
            )
        }
    }

    package func keepDeliveryReport(_ report: DeliveryReport) async throws {
        try await database.raw(
            """
            INSERT INTO delivery_reports (twilio_sid, status, error, received_at) VALUES (\(bind: report.twilioSid),
            \(bind: report.status), \(bind: report.error), \(bind: SQLTimestamp.text(report.receivedAt)))
            ON CONFLICT (twilio_sid) DO UPDATE SET status = excluded.status, error = excluded.error,
            received_at = excluded.received_at
            """
        ).run()
    }

    package func takeDeliveryReport(twilioSid: String) async throws -> DeliveryReport? {
        try await database.raw("DELETE FROM delivery_reports WHERE twilio_sid = \(bind: twilioSid) RETURNING *").first()
            .map { row in
                DeliveryReport(
                    twilioSid: try row.decode(column: "twilio_sid", as: String.self),
                    status: try row.decode(column: "status", as: String.self),
                    error: try row.decode(column: "error", as: String?.self),
                    receivedAt: try SQLTimestamp.date(row.decode(column: "received_at", as: String.self))
                )
            }
    }

    package func latestOutboxMessage(jobID: String, kind: String) async throws -> OutboxMessage? {
        try await database.raw(
            "SELECT * FROM outbox WHERE job_id = \(bind: jobID) AND kind = \(bind: kind) ORDER BY sequence DESC LIMIT 1"
        ).first().map(Self.outboxMessage(from:))
    }

    package func insertOutboxMessage(_ message: OutboxMessage) async throws -> OutboxMessage {
        do {
            try await database.raw(
                """
                INSERT INTO outbox (id, job_id, kind, sequence, recipient, body, status, created_at, requested_by)
                VALUES (\(bind: message.id), \(bind: message.jobID), \(bind: message.kind), \(bind: message.sequence),
                \(bind: message.recipient), \(bind: message.body), \(bind: message.status),
                \(bind: SQLTimestamp.text(message.createdAt)), \(bind: message.requestedBy))
                """
            ).run()
        } catch {
            throw Self.conflict(in: error, unidentified: .outbox) ?? error
        }
        return message
    }

    package func outboxMessage(id: String) async throws -> OutboxMessage? {
        try await database.raw("SELECT * FROM outbox WHERE id = \(bind: id)").first().map(Self.outboxMessage(from:))
    }

    package func outboxMessage(twilioSid: String) async throws -> OutboxMessage? {
        try await database.raw("SELECT * FROM outbox WHERE twilio_sid = \(bind: twilioSid)").first()
            .map(Self.outboxMessage(from:))
    }

    package func outboxMessages(status: String, dueBy: Date?, limit: Int) async throws -> [OutboxMessage] {
        if let dueBy {
            return try await database.raw(
                """
                SELECT * FROM outbox WHERE status = \(bind: status)
                AND (next_attempt_at IS NULL OR next_attempt_at <= \(bind: SQLTimestamp.text(dueBy)))
                ORDER BY created_at LIMIT \(bind: limit)
                """
            ).all().map(Self.outboxMessage(from:))
        }
        return try await database.raw(
            "SELECT * FROM outbox WHERE status = \(bind: status) ORDER BY created_at LIMIT \(bind: limit)"
        ).all().map(Self.outboxMessage(from:))
    }

    package func updateOutboxMessage(_ message: OutboxMessage, expectedStatus: String) async throws -> OutboxMessage? {
        do {
            return try await database.raw(
                """
                UPDATE outbox SET status = \(bind: message.status), twilio_sid = \(bind: message.twilioSid),
                attempts = \(bind: message.attempts), last_error = \(bind: message.lastError),
                next_attempt_at = \(bind: message.nextAttemptAt.map(SQLTimestamp.text)),
                updated_at = \(bind: SQLTimestamp.text(message.updatedAt ?? Date()))
                WHERE id = \(bind: message.id) AND status = \(bind: expectedStatus) RETURNING *
                """
            ).first().map(Self.outboxMessage(from:))
        } catch {
            throw Self.conflict(in: error, unidentified: .outbox) ?? error
        }
    }

    // MARK: One-time codes and text allowances

    package func insertVerification(_ verification: CallerVerification) async throws {
        try await database.raw(
            """
            INSERT INTO caller_verifications (id, job_id, call_sid, code_hash, salt, created_at, expires_at, attempts,
            verified_at, requested_by) VALUES (\(bind: verification.id), \(bind: verification.jobID),
            \(bind: verification.callSid), \(bind: verification.codeHash), \(bind: verification.salt),
            \(bind: SQLTimestamp.text(verification.createdAt)), \(bind: SQLTimestamp.text(verification.expiresAt)),
            \(bind: verification.attempts), \(bind: verification.verifiedAt.map(SQLTimestamp.text)),
            \(bind: verification.requestedBy))
            """
        ).run()
    }

    package func latestVerification(jobID: String, callSid: String) async throws -> CallerVerification? {
        try await database.raw(
            """
            SELECT * FROM caller_verifications WHERE job_id = \(bind: jobID) AND call_sid = \(bind: callSid)
            ORDER BY created_at DESC LIMIT 1
            """
        ).first().map(Self.verification(from:))
    }

    package func updateVerification(_ verification: CallerVerification) async throws {
        try await database.raw(
            """
            UPDATE caller_verifications SET attempts = \(bind: verification.attempts),
            verified_at = \(bind: verification.verifiedAt.map(SQLTimestamp.text)) WHERE id = \(bind: verification.id)
            """
        ).run()
    }

    package func isVerified(jobID: String, callSid: String) async throws -> Bool {
        try await database.raw(
            """
            SELECT 1 AS verified FROM caller_verifications WHERE job_id = \(bind: jobID) AND call_sid = \(bind: callSid)
            AND verified_at IS NOT NULL LIMIT 1
            """
        ).first() != nil
    }

    package func textCount(jobID: String, since: Date) async throws -> Int {
        let since = SQLTimestamp.text(since)
        return try await count(
            """
            SELECT (SELECT COUNT(*) FROM outbox WHERE job_id = \(bind: jobID) AND created_at >= \(bind: since))
            + (SELECT COUNT(*) FROM caller_verifications WHERE job_id = \(bind: jobID) AND created_at >= \(bind: since))
            AS texts
            """
        )
    }

    package func textCount(requestedBy: String, since: Date) async throws -> Int {
        let since = SQLTimestamp.text(since)
        return try await count(
            """
            SELECT (SELECT COUNT(*) FROM outbox WHERE requested_by = \(bind: requestedBy) AND created_at >= \(bind: since))
            + (SELECT COUNT(*) FROM caller_verifications WHERE requested_by = \(bind: requestedBy)
            AND created_at >= \(bind: since)) AS texts
            """
        )
    }

    private func count(_ query: SQLQueryString) async throws -> Int {
        try await database.raw(query).first()?.decode(column: "texts", as: Int.self) ?? 0
    }

    // MARK: Rows

    static func job(from row: any SQLRow) throws -> Job {
        func text(_ column: String) throws -> String { try row.decode(column: column, as: String.self) }
        func optionalText(_ column: String) throws -> String? { try row.decode(column: column, as: String?.self) }
        func number(_ column: String) throws -> Int { try row.decode(column: column, as: Int.self) }
        guard let date = CalendarDate(iso: try text("move_date")),
            let window = TimeWindow(rawValue: try text("time_window")),
            let homeSize = HomeSize(rawValue: try text("home_size")),
            let status = JobStatus(rawValue: try text("status"))
        else { throw BookingError.storageFailure("a job row with an unknown date, window, home size or status") }
        return Job(
            id: try text("id"),
            customerName: try text("customer_name"),
            phone: try text("phone"),
            email: try optionalText("email"),
            pickupAddress: try text("pickup_address"),
            dropoffAddress: try text("dropoff_address"),
            date: date,
            window: window,
            homeSize: homeSize,
            specialItems: try optionalText("special_items"),
            estimatedHours: try number("estimated_hours"),
            crewID: try text("crew_id"),
            truckID: try text("truck_id"),
            crewSize: try number("crew_size"),
            priceEstimateCents: try number("price_estimate_cents"),
            status: status,
            notes: try optionalText("notes"),
            callSid: try optionalText("call_sid"),
            createdAt: try SQLTimestamp.date(text("created_at")),
            updatedAt: try SQLTimestamp.date(text("updated_at")),
            updatedBy: try optionalText("updated_by")
        )
    }

    private static func verification(from row: any SQLRow) throws -> CallerVerification {
        CallerVerification(
            id: try row.decode(column: "id", as: String.self),
            jobID: try row.decode(column: "job_id", as: String.self),
            callSid: try row.decode(column: "call_sid", as: String.self),
            codeHash: try row.decode(column: "code_hash", as: String.self),
            salt: try row.decode(column: "salt", as: String.self),
            createdAt: try SQLTimestamp.date(row.decode(column: "created_at", as: String.self)),
            expiresAt: try SQLTimestamp.date(row.decode(column: "expires_at", as: String.self)),
            attempts: try row.decode(column: "attempts", as: Int.self),
            verifiedAt: try row.decode(column: "verified_at", as: String?.self).map(SQLTimestamp.date),
            requestedBy: try row.decode(column: "requested_by", as: String.self)
        )
    }

    static func outboxMessage(from row: any SQLRow) throws -> OutboxMessage {
        OutboxMessage(
            id: try row.decode(column: "id", as: String.self),
            jobID: try row.decode(column: "job_id", as: String.self),
            kind: try row.decode(column: "kind", as: String.self),
            sequence: try row.decode(column: "sequence", as: Int.self),
            recipient: try row.decode(column: "recipient", as: String.self),
            body: try row.decode(column: "body", as: String.self),
            status: try row.decode(column: "status", as: String.self),
            createdAt: try SQLTimestamp.date(row.decode(column: "created_at", as: String.self)),
            twilioSid: try row.decode(column: "twilio_sid", as: String?.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            lastError: try row.decode(column: "last_error", as: String?.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: String?.self).map(SQLTimestamp.date),
            updatedAt: try row.decode(column: "updated_at", as: String?.self).map(SQLTimestamp.date),
            requestedBy: try row.decode(column: "requested_by", as: String?.self)
        )
    }

    /// As ``conflict(in:)``, taking a unique failure the database did not name as `unidentified`: for a write that
    /// only one kind of constraint can refuse.
    static func conflict(in error: any Error, unidentified: StoreConflict) -> StoreConflict? {
        conflict(in: error).map { $0 == .unidentified ? unidentified : $0 }
    }

    /// Which unique constraint refused a write, if that is what happened.
    static func conflict(in error: any Error) -> StoreConflict? {
        let detail: String
        if let error = error as? PSQLError {
            guard error.serverInfo?[.sqlState] == "23505" else { return nil }
            detail = (error.serverInfo?[.constraintName] ?? "") + " " + (error.serverInfo?[.detail] ?? "")
        } else if let error = error as? SQLiteError {
            let unique = [.constraintUniqueFailed, .constraintPrimaryKeyFailed].contains(error.reason)
            guard unique || error.message.contains("UNIQUE constraint failed") else { return nil }
            detail = error.message
        } else {
            return nil
        }
        if detail.contains("idempotency") { return .idempotencyKey }
        if detail.contains("crew") || detail.contains("truck") || detail.contains("resource_claims") { return .slot }
        if detail.contains("outbox") { return .outbox }
        if detail.contains("jobs_pkey") || detail.contains("jobs.id") { return .jobID }
        return .unidentified
    }
}
