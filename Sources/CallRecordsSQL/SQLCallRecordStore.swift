import CallRecords
import Foundation
import Logging
import SQLKit
import SQLStorage

/// Call records in the voice server's database (`DATABASE_URL`): one row per call, and its events (status changes,
/// transcript, tools, usage, outcome) in order. With the booking system embedded, the database is shared and the
/// records sit beside the jobs they made; with a remote booking server they are still kept here.
package final class SQLCallRecordStore: CallRecordStore {
    package let storage: SQLStorage
    private var database: any SQLDatabase { storage.database }

    /// The store keeps its tables in `storage`, which its opener closes. Call ``prepare(logger:)`` before use.
    package init(storage: SQLStorage) {
        self.storage = storage
    }

    /// Creates or updates the call-record tables.
    package func prepare(logger: Logger) async throws {
        try await Self.migrations.run(on: storage, logger: logger)
    }

    static let migrations = SQLMigrations(
        table: "call_record_migrations",
        name: "call records",
        all: [
            (
                1,
                [
                    // `IF NOT EXISTS`: a booking database from before issue 12 made these tables in its version 3.
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
                ]
            ),
            (
                2,
                [
                    // A tool call's result (its arguments go in `text`).
                    "ALTER TABLE call_events ADD COLUMN detail TEXT",
                    // The caller's waits, summed per call for the list; each one is also an event.
                    "ALTER TABLE calls ADD COLUMN latency_total_ms INTEGER NOT NULL DEFAULT 0",
                    "ALTER TABLE calls ADD COLUMN latency_count INTEGER NOT NULL DEFAULT 0",
                    // The office's lists: by time, by caller, by outcome; figures by event kind.
                    "CREATE INDEX IF NOT EXISTS calls_started_at ON calls (started_at)",
                    "CREATE INDEX IF NOT EXISTS calls_caller ON calls (caller, started_at)",
                    "CREATE INDEX IF NOT EXISTS calls_outcome ON calls (outcome, started_at)",
                    "CREATE INDEX IF NOT EXISTS call_events_kind_at ON call_events (kind, at)",
                ]
            ),
        ]
    )

    package func callStarted(callSid: String, caller: String?, at: Date) async throws {
        try await database.raw(
            """
            INSERT INTO calls (call_sid, caller, started_at) VALUES (\(bind: callSid), \(bind: caller), \(bind: SQLTimestamp.text(at)))
            ON CONFLICT (call_sid) DO NOTHING
            """
        ).run()
    }

    package func append(_ event: CallEvent, callSid: String, at: Date) async throws {
        try await callStarted(callSid: callSid, caller: nil, at: at)
        let id = UUID().uuidString.lowercased()
        let time = SQLTimestamp.text(at)
        switch event {
        case .status(let status, let duration):
            try await insertEvent(id: id, callSid: callSid, at: time, kind: "status", name: status, number: duration)
            let ended = ["completed", "busy", "failed", "no-answer", "canceled"].contains(status)
            try await database.raw(
                """
                UPDATE calls SET status = \(bind: status),
                duration_seconds = COALESCE(\(bind: duration), duration_seconds),
                ended_at = CASE WHEN \(bind: ended ? 1 : 0) = 1 THEN COALESCE(ended_at, \(bind: time)) ELSE ended_at END
                WHERE call_sid = \(bind: callSid)
                """
            ).run()
        case .callerSaid(let text):
            try await insertEvent(id: id, callSid: callSid, at: time, kind: "caller", text: text)
        case .assistantSaid(let text):
            try await insertEvent(id: id, callSid: callSid, at: time, kind: "assistant", text: text)
        case .tool(let name, let latency, let ok, let arguments, let result):
            try await insertEvent(
                id: id,
                callSid: callSid,
                at: time,
                kind: "tool",
                name: name,
                text: arguments,
                number: latency,
                ok: ok,
                detail: result
            )
        case .bargeIn(let heard):
            try await insertEvent(id: id, callSid: callSid, at: time, kind: "barge_in", number: heard)
        case .recording(let sid, let status, let duration):
            try await insertEvent(
                id: id,
                callSid: callSid,
                at: time,
                kind: "recording",
                name: sid,
                text: status,
                number: duration
            )
        case .responseLatency(let milliseconds):
            try await insertEvent(id: id, callSid: callSid, at: time, kind: "latency", number: milliseconds)
            try await database.raw(
                """
                UPDATE calls SET latency_total_ms = latency_total_ms + \(bind: milliseconds),
                latency_count = latency_count + 1
                WHERE call_sid = \(bind: callSid)
                """
            ).run()
        case .failure(let reason):
            try await insertEvent(id: id, callSid: callSid, at: time, kind: "failure", text: reason)
        case .sessionReplaced(let reason):
            try await insertEvent(id: id, callSid: callSid, at: time, kind: "session_replaced", name: reason)
        case .usage(let input, let output, let cost):
            try await database.raw(
                """
                UPDATE calls SET input_tokens = input_tokens + \(bind: input),
                output_tokens = output_tokens + \(bind: output),
                cost_micro_dollars = cost_micro_dollars + \(bind: cost)
                WHERE call_sid = \(bind: callSid)
                """
            ).run()
        case .outcome(let outcome, let jobID):
            try await insertEvent(id: id, callSid: callSid, at: time, kind: "outcome", name: outcome.rawValue)
            try await database.raw(
                """
                UPDATE calls SET outcome = \(bind: outcome.rawValue), job_id = COALESCE(\(bind: jobID), job_id),
                ended_at = COALESCE(ended_at, \(bind: time))
                WHERE call_sid = \(bind: callSid)
                """
            ).run()
        }
    }

    package func callRecord(callSid: String) async throws -> CallRecord? {
        guard let row = try await database.raw("SELECT * FROM calls WHERE call_sid = \(bind: callSid)").first() else {
            return nil
        }
        var record = CallRecord(
            callSid: callSid,
            caller: try row.decode(column: "caller", as: String?.self),
            startedAt: try SQLTimestamp.date(row.decode(column: "started_at", as: String.self)),
            endedAt: try row.decode(column: "ended_at", as: String?.self).map(SQLTimestamp.date),
            durationSeconds: try row.decode(column: "duration_seconds", as: Int?.self),
            status: try row.decode(column: "status", as: String?.self),
            inputTokens: try row.decode(column: "input_tokens", as: Int.self),
            outputTokens: try row.decode(column: "output_tokens", as: Int.self),
            costMicroDollars: try row.decode(column: "cost_micro_dollars", as: Int.self),
            outcome: try row.decode(column: "outcome", as: String?.self).flatMap(CallOutcome.init(rawValue:)),
            jobID: try row.decode(column: "job_id", as: String?.self)
        )
        let events = try await database.raw(
            "SELECT * FROM call_events WHERE call_sid = \(bind: callSid) ORDER BY at, id"
        ).all()
        for row in events {
            let at = try SQLTimestamp.date(row.decode(column: "at", as: String.self))
            guard var event = try Self.event(row) else { continue }
            if case .outcome(let outcome, _) = event { event = .outcome(outcome, jobID: record.jobID) }
            record.timeline.append(.init(at: at, event: event))
            switch event {
            case .status(let status, _):
                record.statusHistory.append(.init(status: status, at: at))
            case .callerSaid(let text):
                record.transcript.append(.init(speaker: "caller", text: text, at: at))
            case .assistantSaid(let text):
                record.transcript.append(.init(speaker: "assistant", text: text, at: at))
            case .tool(let name, let latency, let ok, let arguments, let result):
                record.toolCalls.append(
                    .init(
                        name: name,
                        latencyMilliseconds: latency,
                        ok: ok,
                        at: at,
                        arguments: arguments,
                        result: result
                    )
                )
            case .sessionReplaced(let reason):
                record.sessionReplacements.append(reason)
            case .failure(let reason):
                record.failureReason = reason
            case .bargeIn(let heard):
                record.bargeIns.append(heard)
            case .responseLatency(let milliseconds):
                record.responseLatencies.append(milliseconds)
            case .usage, .outcome, .recording:
                break
            }
        }
        return record
    }

    /// The event a `call_events` row holds; `nil` for a kind this version does not know.
    static func event(_ row: any SQLRow) throws -> CallEvent? {
        let name = try row.decode(column: "name", as: String?.self) ?? ""
        let text = try row.decode(column: "text", as: String?.self)
        let number = try row.decode(column: "number", as: Int?.self)
        switch try row.decode(column: "kind", as: String.self) {
        case "status": return .status(name, durationSeconds: number)
        case "caller": return .callerSaid(text ?? "")
        case "assistant": return .assistantSaid(text ?? "")
        case "tool":
            return .tool(
                name: name,
                latencyMilliseconds: number ?? 0,
                ok: (try row.decode(column: "ok", as: Int?.self) ?? 0) == 1,
                arguments: text,
                result: try row.decode(column: "detail", as: String?.self)
            )
        case "session_replaced": return .sessionReplaced(name)
        case "failure": return .failure(text ?? "")
        case "barge_in": return .bargeIn(heardMilliseconds: number)
        case "recording": return .recording(sid: name, status: text ?? "", durationSeconds: number)
        case "latency": return number.map { .responseLatency(milliseconds: $0) }
        case "outcome": return CallOutcome(rawValue: name).map { .outcome($0, jobID: nil) }
        default: return nil
        }
    }

    private func insertEvent(
        id: String,
        callSid: String,
        at: String,
        kind: String,
        name: String? = nil,
        text: String? = nil,
        number: Int? = nil,
        ok: Bool? = nil,
        detail: String? = nil
    ) async throws {
        try await database.raw(
            """
            INSERT INTO call_events (id, call_sid, at, kind, name, text, number, ok, detail) VALUES
            (\(bind: id), \(bind: callSid), \(bind: at), \(bind: kind), \(bind: name), \(bind: text), \(bind: number),
            \(bind: ok.map { $0 ? 1 : 0 }), \(bind: detail))
            """
        ).run()
    }
}
