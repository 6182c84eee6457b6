import Booking
import Foundation
import Logging
import PostgresKit
import SQLKit
import SQLiteKit

/// The booking store over SQLKit: one code path for SQLite and PostgreSQL.
///
/// Capacity is the database's job: partial unique indexes on (crew, date, window) and (truck, date, window) for
/// every job that is not cancelled mean two callers racing for the last crew or truck cannot both insert. Every
/// write is a single statement, so rescheduling (one `UPDATE` of the slot columns) claims the new slot and frees the
/// old one atomically.
package final class SQLBookingStore: BookingStore {
    package enum Backend: Sendable {
        case sqlite
        case postgres
    }

    package let backend: Backend
    let database: any SQLDatabase
    private let shutdown: @Sendable () async -> Void
    private let logger: Logger

    private init(
        backend: Backend,
        database: any SQLDatabase,
        logger: Logger,
        shutdown: @escaping @Sendable () async -> Void
    ) {
        self.backend = backend
        self.database = database
        self.logger = logger
        self.shutdown = shutdown
    }

    /// Opens (creating if needed) a SQLite file in WAL mode. One connection: SQLite allows one writer at a time anyway.
    package static func sqlite(path: String, logger: Logger) async throws -> SQLBookingStore {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let database = connection.sql(queryLogLevel: .trace)
        try await database.raw("PRAGMA journal_mode = WAL").run()
        try await database.raw("PRAGMA busy_timeout = 5000").run()
        try await database.raw("PRAGMA foreign_keys = ON").run()
        return SQLBookingStore(backend: .sqlite, database: database, logger: logger) {
            try? await connection.close()
        }
    }

    /// Connects to PostgreSQL with a pool of connections. With `schema`, the tables live in that schema (created if
    /// missing), so several booking systems, or test runs, can share one database.
    package static func postgres(
        url: String,
        schema: String? = nil,
        logger: Logger,
        maximumConnections: Int = 8
    ) async throws -> SQLBookingStore {
        var configuration = try SQLPostgresConfiguration(url: url)
        if let schema {
            guard schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw BookingError.invalidArgument(field: "schema", reason: "letters, digits and underscores only")
            }
            let setup = try SQLPostgresConfiguration(url: url)
            let connection = try await PostgresConnection.connect(
                configuration: setup.coreConfiguration,
                id: 1,
                logger: logger
            )
            do {
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"),
                    logger: logger
                )
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
            configuration.searchPath = [schema]
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let pool = EventLoopGroupConnectionPool(
            source: PostgresConnectionSource(sqlConfiguration: configuration),
            maxConnectionsPerEventLoop: max(1, maximumConnections / max(1, System.coreCount)),
            logger: logger,
            on: group
        )
        let database = pool.database(logger: logger).sql(queryLogLevel: .trace)
        // Fail now, with a clear error, if the server cannot be reached.
        do {
            try await database.raw("SELECT 1").run()
        } catch {
            try? await pool.shutdownAsync()
            throw error
        }
        let handle = PoolHandle(pool: pool)
        return SQLBookingStore(backend: .postgres, database: database, logger: logger) {
            try? await handle.pool.shutdownAsync()
        }
    }

    /// `EventLoopGroupConnectionPool` predates `Sendable` but guards all of its state with a lock and is built to
    /// be shared across event loops (it is what `database(logger:)` hands out), so passing it to the shutdown
    /// closure is safe.
    private struct PoolHandle: @unchecked Sendable {
        let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>
    }

    package func close() async {
        await shutdown()
    }

    // MARK: BookingStore

    package func prepare(crews: [Crew], trucks: [Truck]) async throws {
        try await BookingMigrations.run(on: database, logger: logger)
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

    package func usage(on date: CalendarDate) async throws -> [TimeWindow: SlotUsage] {
        let rows = try await database.raw(
            "SELECT crew_id, truck_id, time_window FROM jobs WHERE move_date = \(bind: date.iso) AND status <> 'cancelled'"
        ).all()
        var usage: [TimeWindow: SlotUsage] = [:]
        for row in rows {
            guard let window = TimeWindow(rawValue: try row.decode(column: "time_window", as: String.self)) else {
                continue
            }
            usage[window, default: SlotUsage()].crewIDs.insert(try row.decode(column: "crew_id", as: String.self))
            usage[window, default: SlotUsage()].truckIDs.insert(try row.decode(column: "truck_id", as: String.self))
        }
        return usage
    }

    package func insert(_ job: Job, idempotencyKey: String?) async throws -> Job {
        do {
            try await database.raw(
                """
                INSERT INTO jobs (id, customer_name, phone, email, pickup_address, dropoff_address, move_date, time_window,
                home_size, special_items, estimated_hours, crew_id, truck_id, crew_size, price_estimate_cents, status, notes,
                call_sid, idempotency_key, created_at, updated_at) VALUES (\(bind: job.id), \(bind: job.customerName),
                \(bind: job.phone), \(bind: job.email), \(bind: job.pickupAddress), \(bind: job.dropoffAddress),
                \(bind: job.date.iso), \(bind: job.window.rawValue), \(bind: job.homeSize.rawValue), \(bind: job.specialItems),
                \(bind: job.estimatedHours), \(bind: job.crewID), \(bind: job.truckID), \(bind: job.crewSize),
                \(bind: job.priceEstimateCents), \(bind: job.status.rawValue), \(bind: job.notes), \(bind: job.callSid),
                \(bind: idempotencyKey), \(bind: Self.timestamp(job.createdAt)), \(bind: Self.timestamp(job.updatedAt)))
                """
            ).run()
        } catch {
            throw Self.conflict(in: error) ?? error
        }
        return job
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

    package func updateStatus(jobID: String, expected: JobStatus, to status: JobStatus, at: Date) async throws -> Job? {
        try await database.raw(
            """
            UPDATE jobs SET status = \(bind: status.rawValue), updated_at = \(bind: Self.timestamp(at))
            WHERE id = \(bind: jobID) AND status = \(bind: expected.rawValue) RETURNING *
            """
        ).first().map(Self.job(from:))
    }

    package func move(jobID: String, to slot: Slot, status: JobStatus, at: Date) async throws -> Job? {
        do {
            return try await database.raw(
                """
                UPDATE jobs SET move_date = \(bind: slot.date.iso), time_window = \(bind: slot.window.rawValue),
                crew_id = \(bind: slot.crewID), truck_id = \(bind: slot.truckID), status = \(bind: status.rawValue),
                updated_at = \(bind: Self.timestamp(at)) WHERE id = \(bind: jobID) RETURNING *
                """
            ).first().map(Self.job(from:))
        } catch {
            throw Self.conflict(in: error) ?? error
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
                INSERT INTO outbox (id, job_id, kind, sequence, recipient, body, status, created_at) VALUES
                (\(bind: message.id), \(bind: message.jobID), \(bind: message.kind), \(bind: message.sequence),
                \(bind: message.recipient), \(bind: message.body), \(bind: message.status),
                \(bind: Self.timestamp(message.createdAt)))
                """
            ).run()
        } catch {
            throw Self.conflict(in: error) ?? error
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
                AND (next_attempt_at IS NULL OR next_attempt_at <= \(bind: Self.timestamp(dueBy)))
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
                next_attempt_at = \(bind: message.nextAttemptAt.map(Self.timestamp)),
                updated_at = \(bind: Self.timestamp(message.updatedAt ?? Date()))
                WHERE id = \(bind: message.id) AND status = \(bind: expectedStatus) RETURNING *
                """
            ).first().map(Self.outboxMessage(from:))
        } catch {
            throw Self.conflict(in: error) ?? error
        }
    }

    // MARK: Rows

    private static func job(from row: any SQLRow) throws -> Job {
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
            createdAt: try Self.date(fromTimestamp: text("created_at")),
            updatedAt: try Self.date(fromTimestamp: text("updated_at"))
        )
    }

    private static func outboxMessage(from row: any SQLRow) throws -> OutboxMessage {
        OutboxMessage(
            id: try row.decode(column: "id", as: String.self),
            jobID: try row.decode(column: "job_id", as: String.self),
            kind: try row.decode(column: "kind", as: String.self),
            sequence: try row.decode(column: "sequence", as: Int.self),
            recipient: try row.decode(column: "recipient", as: String.self),
            body: try row.decode(column: "body", as: String.self),
            status: try row.decode(column: "status", as: String.self),
            createdAt: try date(fromTimestamp: row.decode(column: "created_at", as: String.self)),
            twilioSid: try row.decode(column: "twilio_sid", as: String?.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            lastError: try row.decode(column: "last_error", as: String?.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: String?.self).map(date(fromTimestamp:)),
            updatedAt: try row.decode(column: "updated_at", as: String?.self).map(date(fromTimestamp:))
        )
    }

    /// Timestamps are stored as ISO 8601 text with milliseconds, which sorts and reads the same on both backends.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func date(fromTimestamp text: String) throws -> Date {
        try Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Which unique constraint refused a write, if that is what happened.
    static func conflict(in error: any Error) -> StoreConflict? {
        let detail: String
        if let error = error as? PSQLError {
            guard error.serverInfo?[.sqlState] == "23505" else { return nil }
            detail = (error.serverInfo?[.constraintName] ?? "") + " " + (error.serverInfo?[.detail] ?? "")
        } else if let error = error as? SQLiteError {
            guard error.message.contains("UNIQUE constraint failed") else { return nil }
            detail = error.message
        } else {
            return nil
        }
        if detail.contains("idempotency") { return .idempotencyKey }
        if detail.contains("crew") || detail.contains("truck") { return .slot }
        if detail.contains("outbox") { return .outbox }
        if detail.contains("jobs_pkey") || detail.contains("jobs.id") { return .jobID }
        return nil
    }
}
