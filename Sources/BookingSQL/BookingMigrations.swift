import SQLStorage

/// The booking tables' schema changes, applied in order at start (see ``SQLMigrations``).
enum BookingMigrations {
    static let all = SQLMigrations(
        table: "schema_migrations",
        name: "booking",
        all: [
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
                    // Version 3 also made the call-record tables, which the voice server now keeps itself
                    // (`CallRecordMigrations`, issue 12); a database that has them keeps them.
                    "CREATE INDEX IF NOT EXISTS jobs_call_sid ON jobs (call_sid)"
                ]
            ),
            (
                4,
                [
                    // Who made each change (issue 13): `staff` or the call's SID.
                    "ALTER TABLE jobs ADD COLUMN updated_by TEXT",
                    // Who asked for each text, for the hourly allowance.
                    "ALTER TABLE outbox ADD COLUMN requested_by TEXT",
                    "CREATE INDEX IF NOT EXISTS outbox_requested_by ON outbox (requested_by, created_at)",
                    // One-time codes a caller reads back to reach a booking: the hash only, never the code.
                    """
                    CREATE TABLE IF NOT EXISTS caller_verifications (
                        id TEXT PRIMARY KEY,
                        job_id TEXT NOT NULL REFERENCES jobs (id),
                        call_sid TEXT NOT NULL,
                        code_hash TEXT NOT NULL,
                        salt TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        expires_at TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        verified_at TEXT,
                        requested_by TEXT NOT NULL
                    )
                    """,
                    """
                    CREATE INDEX IF NOT EXISTS caller_verifications_job_call
                    ON caller_verifications (job_id, call_sid, created_at)
                    """,
                    """
                    CREATE INDEX IF NOT EXISTS caller_verifications_requested_by
                    ON caller_verifications (requested_by, created_at)
                    """,
                ]
            ),
            (
                5,
                [
                    // Capacity across windows (issue 15): one row per crew or truck, date and window a job holds —
                    // every window its length covers, not only the one it starts in. The primary key is the rule.
                    """
                    CREATE TABLE IF NOT EXISTS resource_claims (
                        resource_kind TEXT NOT NULL,
                        resource_id TEXT NOT NULL,
                        move_date TEXT NOT NULL,
                        time_window TEXT NOT NULL,
                        job_id TEXT NOT NULL REFERENCES jobs (id),
                        PRIMARY KEY (resource_kind, resource_id, move_date, time_window)
                    )
                    """,
                    "CREATE INDEX IF NOT EXISTS resource_claims_job ON resource_claims (job_id)",
                    "CREATE INDEX IF NOT EXISTS resource_claims_date ON resource_claims (move_date)",
                    // Jobs booked before hold the window they start in, as they did.
                    """
                    INSERT INTO resource_claims (resource_kind, resource_id, move_date, time_window, job_id)
                    SELECT 'crew', crew_id, move_date, time_window, id FROM jobs WHERE status <> 'cancelled'
                    """,
                    """
                    INSERT INTO resource_claims (resource_kind, resource_id, move_date, time_window, job_id)
                    SELECT 'truck', truck_id, move_date, time_window, id FROM jobs WHERE status <> 'cancelled'
                    """,
                    // Every change of a job: who, when, from and to, why.
                    """
                    CREATE TABLE IF NOT EXISTS job_events (
                        id TEXT PRIMARY KEY,
                        job_id TEXT NOT NULL REFERENCES jobs (id),
                        sequence INTEGER NOT NULL,
                        at TEXT NOT NULL,
                        by_whom TEXT NOT NULL,
                        from_status TEXT,
                        to_status TEXT NOT NULL,
                        reason TEXT NOT NULL
                    )
                    """,
                    "CREATE UNIQUE INDEX IF NOT EXISTS job_events_job ON job_events (job_id, sequence)",
                    // Jobs booked before start their history with the booking; their later changes were not kept.
                    """
                    INSERT INTO job_events (id, job_id, sequence, at, by_whom, from_status, to_status, reason)
                    SELECT 'booked-' || id, id, 1, created_at, COALESCE(call_sid, 'staff'), NULL, 'confirmed', 'booked'
                    FROM jobs
                    """,
                    // Jobs a call made, for one booking per intent and for the end of the call.
                    "CREATE INDEX IF NOT EXISTS jobs_call_intent ON jobs (call_sid, phone, move_date, time_window)",
                    // A delivery report that came before its message's SID was saved, kept until it is.
                    """
                    CREATE TABLE IF NOT EXISTS delivery_reports (
                        twilio_sid TEXT PRIMARY KEY,
                        status TEXT NOT NULL,
                        error TEXT,
                        received_at TEXT NOT NULL
                    )
                    """,
                ]
            ),
        ]
    )
}
