import Foundation
import Logging
import SQLKit

/// Versioned schema changes, applied in order at start; each version once. The SQL is written to run unchanged on
/// SQLite and PostgreSQL.
enum BookingMigrations {
    static let all: [(version: Int, statements: [String])] = [
        (
            1,
            [
                "CREATE TABLE IF NOT EXISTS crews (id TEXT PRIMARY KEY, name TEXT NOT NULL, size INTEGER NOT NULL)",
                "CREATE TABLE IF NOT EXISTS trucks (id TEXT PRIMARY KEY, name TEXT NOT NULL, size TEXT NOT NULL)",
                """
                CREATE TABLE IF NOT EXISTS jobs (
                    id TEXT PRIMARY KEY,
                    customer_name TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    email TEXT,
                    pickup_address TEXT NOT NULL,
                    dropoff_address TEXT NOT NULL,
                    move_date TEXT NOT NULL,
                    time_window TEXT NOT NULL,
                    home_size TEXT NOT NULL,
                    special_items TEXT,
                    estimated_hours INTEGER NOT NULL,
                    crew_id TEXT NOT NULL,
                    truck_id TEXT NOT NULL,
                    crew_size INTEGER NOT NULL,
                    price_estimate_cents INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    notes TEXT,
                    call_sid TEXT,
                    idempotency_key TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                // Capacity: a crew and a truck hold at most one live job per date and window.
                """
                CREATE UNIQUE INDEX IF NOT EXISTS jobs_crew_slot ON jobs (crew_id, move_date, time_window)
                WHERE status <> 'cancelled'
                """,
                """
                CREATE UNIQUE INDEX IF NOT EXISTS jobs_truck_slot ON jobs (truck_id, move_date, time_window)
                WHERE status <> 'cancelled'
                """,
                "CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency_key ON jobs (idempotency_key)",
                "CREATE INDEX IF NOT EXISTS jobs_phone ON jobs (phone)",
                "CREATE INDEX IF NOT EXISTS jobs_move_date ON jobs (move_date)",
                """
                CREATE TABLE IF NOT EXISTS outbox (
                    id TEXT PRIMARY KEY,
                    job_id TEXT NOT NULL REFERENCES jobs (id),
                    kind TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    recipient TEXT NOT NULL,
                    body TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at TEXT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX IF NOT EXISTS outbox_job_kind_sequence ON outbox (job_id, kind, sequence)",
            ]
        ),
        (
            2,
            [
                // Delivery: the Twilio SID is recorded the moment Twilio accepts a message, before anything else.
                "ALTER TABLE outbox ADD COLUMN twilio_sid TEXT",
                "ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE outbox ADD COLUMN last_error TEXT",
                "ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT",
                "ALTER TABLE outbox ADD COLUMN updated_at TEXT",
                "CREATE UNIQUE INDEX IF NOT EXISTS outbox_twilio_sid ON outbox (twilio_sid)",
                "CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, next_attempt_at)",
            ]
        ),
        (
            3,
            [
                // Call records: one row per call, and its events (status changes, transcript, tools, usage) in order.
                """
                CREATE TABLE IF NOT EXISTS calls (
                    call_sid TEXT PRIMARY KEY,
                    caller TEXT,
                    started_at TEXT NOT NULL,
                    ended_at TEXT,
                    status TEXT,
                    duration_seconds INTEGER,
                    outcome TEXT,
                    job_id TEXT,
                    input_tokens INTEGER NOT NULL DEFAULT 0,
                    output_tokens INTEGER NOT NULL DEFAULT 0,
                    cost_micro_dollars INTEGER NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE TABLE IF NOT EXISTS call_events (
                    id TEXT PRIMARY KEY,
                    call_sid TEXT NOT NULL REFERENCES calls (call_sid),
                    at TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    name TEXT,
                    text TEXT,
                    number INTEGER,
                    ok INTEGER
                )
                """,
                "CREATE INDEX IF NOT EXISTS call_events_call ON call_events (call_sid, at)",
                "CREATE INDEX IF NOT EXISTS jobs_call_sid ON jobs (call_sid)",
            ]
        ),
    ]

    static func run(on database: any SQLDatabase, logger: Logger) async throws {
        try await database.raw(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        ).run()
        let applied = Set(
            try await database.raw("SELECT version FROM schema_migrations").all().map {
                try $0.decode(column: "version", as: Int.self)
            }
        )
        for migration in all where !applied.contains(migration.version) {
            for statement in migration.statements {
                try await database.raw(SQLQueryString(statement)).run()
            }
            // Two instances starting together may both get here; the primary key keeps one row.
            try await database.raw(
                """
                INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: migration.version), \(bind: "\(Date())"))
                ON CONFLICT (version) DO NOTHING
                """
            ).run()
            logger.info("Applied booking migration", metadata: ["version": "\(migration.version)"])
        }
    }
}
