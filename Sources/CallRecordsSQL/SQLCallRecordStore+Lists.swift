import CallRecords
import Foundation
import SQLKit
import SQLStorage

/// Which calls the office wants to see: a time range, an outcome, the caller's number (or its last digits).
package struct CallListFilter: Sendable, Equatable {
    package var from: Date?
    package var to: Date?
    package var outcome: CallOutcome?
    /// Digits the caller's number ends with (`2671`, or the whole number).
    package var callerDigits: String?

    package init(from: Date? = nil, to: Date? = nil, outcome: CallOutcome? = nil, callerDigits: String? = nil) {
        self.from = from
        self.to = to
        self.outcome = outcome
        self.callerDigits = callerDigits
    }
}

/// One call in the office's list.
package struct CallSummary: Sendable, Equatable {
    package var callSid: String
    package var caller: String?
    package var startedAt: Date
    package var endedAt: Date?
    package var durationSeconds: Int?
    package var outcome: CallOutcome?
    package var jobID: String?
    package var costMicroDollars: Int
    /// The caller's average wait for an answer; `nil` before the first answer.
    package var averageResponseMilliseconds: Int?

    /// Twilio's duration when its last status callback came, else the time from start to end as recorded here.
    package var length: Int? {
        durationSeconds ?? endedAt.map { max(0, Int($0.timeIntervalSince(startedAt).rounded())) }
    }
}

/// Calls, bookings, length, cost and waits over a time range.
package struct CallFigures: Sendable, Equatable {
    package var calls: Int
    package var booked: Int
    /// Over the calls that have ended with a known duration.
    package var averageDurationSeconds: Int?
    package var averageCostMicroDollars: Int?
    /// Over every answer in the range.
    package var responseP50Milliseconds: Int?
    package var responseP90Milliseconds: Int?

    /// The share of calls that booked a move, 0…1.
    package var conversion: Double? { calls == 0 ? nil : Double(booked) / Double(calls) }

    /// The nearest-rank percentile of `sorted` (ascending): the smallest value with at least `share` of them at or
    /// below it; `nil` when empty.
    package static func percentile(_ sorted: [Int], _ share: Double) -> Int? {
        guard !sorted.isEmpty else { return nil }
        return sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * share).rounded(.up)) - 1))]
    }
}

extension SQLCallRecordStore {
    /// A page of calls, newest first: `limit` of them after `offset`, and whether more follow.
    package func calls(
        matching filter: CallListFilter,
        limit: Int,
        offset: Int
    ) async throws -> (calls: [CallSummary], more: Bool) {
        var query = SQLQueryString("SELECT * FROM calls WHERE 1 = 1")
        if let from = filter.from { query += " AND started_at >= \(bind: SQLTimestamp.text(from))" }
        if let to = filter.to { query += " AND started_at < \(bind: SQLTimestamp.text(to))" }
        if let outcome = filter.outcome { query += " AND outcome = \(bind: outcome.rawValue)" }
        if let digits = filter.callerDigits?.filter(\.isNumber), !digits.isEmpty {
            query += " AND caller LIKE \(bind: "%" + digits)"
        }
        query += " ORDER BY started_at DESC, call_sid LIMIT \(bind: limit + 1) OFFSET \(bind: offset)"
        let rows = try await storage.database.raw(query).all()
        return (try rows.prefix(limit).map(Self.summary(from:)), rows.count > limit)
    }

    /// The calls with these SIDs, oldest first (those not recorded are left out).
    package func calls(callSids: [String]) async throws -> [CallSummary] {
        guard !callSids.isEmpty else { return [] }
        return try await storage.database.raw(
            "SELECT * FROM calls WHERE call_sid IN (\(binds: callSids)) ORDER BY started_at"
        ).all().map(Self.summary(from:))
    }

    static func summary(from row: any SQLRow) throws -> CallSummary {
        let latencyCount = try row.decode(column: "latency_count", as: Int.self)
        return CallSummary(
            callSid: try row.decode(column: "call_sid", as: String.self),
            caller: try row.decode(column: "caller", as: String?.self),
            startedAt: try SQLTimestamp.date(row.decode(column: "started_at", as: String.self)),
            endedAt: try row.decode(column: "ended_at", as: String?.self).map(SQLTimestamp.date),
            durationSeconds: try row.decode(column: "duration_seconds", as: Int?.self),
            outcome: try row.decode(column: "outcome", as: String?.self).flatMap(CallOutcome.init(rawValue:)),
            jobID: try row.decode(column: "job_id", as: String?.self),
            costMicroDollars: try row.decode(column: "cost_micro_dollars", as: Int.self),
            averageResponseMilliseconds: latencyCount == 0
                ? nil : try row.decode(column: "latency_total_ms", as: Int.self) / latencyCount
        )
    }

    /// The calls and their figures from `from` until `to`.
    package func figures(from: Date, to: Date) async throws -> CallFigures {
        let (start, end) = (SQLTimestamp.text(from), SQLTimestamp.text(to))
        let row = try await storage.database.raw(
            """
            SELECT COUNT(*) AS calls,
            SUM(CASE WHEN outcome = 'booked' THEN 1 ELSE 0 END) AS booked,
            SUM(duration_seconds) AS duration_total,
            COUNT(duration_seconds) AS duration_count,
            SUM(cost_micro_dollars) AS cost_total
            FROM calls WHERE started_at >= \(bind: start) AND started_at < \(bind: end)
            """
        ).first()
        let calls = try row?.decode(column: "calls", as: Int.self) ?? 0
        let durationCount = try row?.decode(column: "duration_count", as: Int.self) ?? 0
        let waits = try await storage.database.raw(
            """
            SELECT number FROM call_events
            WHERE kind = 'latency' AND at >= \(bind: start) AND at < \(bind: end) AND number IS NOT NULL
            """
        ).all().map { try $0.decode(column: "number", as: Int.self) }.sorted()
        return CallFigures(
            calls: calls,
            booked: try row?.decode(column: "booked", as: Int?.self) ?? 0,
            averageDurationSeconds: durationCount == 0
                ? nil : (try row?.decode(column: "duration_total", as: Int?.self) ?? 0) / durationCount,
            averageCostMicroDollars: calls == 0
                ? nil : (try row?.decode(column: "cost_total", as: Int?.self) ?? 0) / calls,
            responseP50Milliseconds: CallFigures.percentile(waits, 0.5),
            responseP90Milliseconds: CallFigures.percentile(waits, 0.9)
        )
    }

    /// Calls that ended `failed` or `transferred` since `since`, newest first: the office may want to call back.
    package func callsNeedingAPerson(since: Date, limit: Int) async throws -> [CallSummary] {
        var result: [CallSummary] = []
        for outcome in [CallOutcome.failed, .transferred] {
            let filter = CallListFilter(from: since, outcome: outcome)
            result += try await calls(matching: filter, limit: limit, offset: 0).calls
        }
        return result.sorted { $0.startedAt > $1.startedAt }.prefix(limit).map { $0 }
    }
}
