import Booking
import Foundation
import SQLKit
import SQLStorage

/// A crew or truck held by a job for one window: a cell of the office's day grid.
package struct ResourceHold: Sendable, Equatable {
    /// `crew` or `truck`.
    package var kind: String
    package var resourceID: String
    package var date: CalendarDate
    package var window: TimeWindow
    package var job: Job
}

/// The office's search for moves: a job number, a phone number (or its last digits) or a name, and a date.
package struct JobSearch: Sendable, Equatable {
    package var text: String?
    package var date: CalendarDate?

    package init(text: String? = nil, date: CalendarDate? = nil) {
        self.text = text
        self.date = date
    }
}

/// What the office's pages read from the booking tables: the day grid, searches, the outbox. Read-only; changes go
/// through ``BookingService`` like the tools' do.
extension SQLBookingStore {
    /// Every crew and truck held on `dates` by a job that is not cancelled.
    package func holds(on dates: [CalendarDate]) async throws -> [ResourceHold] {
        guard !dates.isEmpty else { return [] }
        let rows = try await database.raw(
            """
            SELECT c.resource_kind, c.resource_id, c.move_date AS held_date, c.time_window AS held_window, j.*
            FROM resource_claims c JOIN jobs j ON j.id = c.job_id
            WHERE c.move_date IN (\(binds: dates.map(\.iso))) AND j.status <> 'cancelled'
            ORDER BY c.move_date, c.time_window, c.resource_kind, c.resource_id
            """
        ).all()
        return try rows.compactMap { row in
            guard let date = CalendarDate(iso: try row.decode(column: "held_date", as: String.self)),
                let window = TimeWindow(rawValue: try row.decode(column: "held_window", as: String.self))
            else { return nil }
            return ResourceHold(
                kind: try row.decode(column: "resource_kind", as: String.self),
                resourceID: try row.decode(column: "resource_id", as: String.self),
                date: date,
                window: window,
                job: try Self.job(from: row)
            )
        }
    }

    /// Jobs matching `search`, by move date then job number: `limit` of them after `offset`, and whether more follow.
    package func jobs(matching search: JobSearch, limit: Int, offset: Int) async throws -> (jobs: [Job], more: Bool) {
        var query = SQLQueryString("SELECT * FROM jobs WHERE 1 = 1")
        if let text = search.text?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let digits = text.filter(\.isNumber)
            var alternatives = SQLQueryString("id = \(bind: JobID.normalized(text))")
            // `%`, `_` and `\` the office types are matched as themselves.
            let escaped = text.lowercased().replacing(/[%_\\]/) { "\\" + $0.output }
            alternatives += " OR LOWER(customer_name) LIKE \(bind: "%" + escaped + "%") ESCAPE '\\'"
            if digits.count >= 4 { alternatives += " OR phone LIKE \(bind: "%" + digits)" }
            query += " AND (" + alternatives + ")"
        }
        if let date = search.date { query += " AND move_date = \(bind: date.iso)" }
        query += " ORDER BY move_date DESC, time_window, id LIMIT \(bind: limit + 1) OFFSET \(bind: offset)"
        let rows = try await database.raw(query).all()
        return (try rows.prefix(limit).map(Self.job(from:)), rows.count > limit)
    }

    /// The outbox, newest first, with one of `statuses` (any when `nil`): `limit` after `offset`, and whether more
    /// follow.
    package func outbox(
        statuses: [String]?,
        limit: Int,
        offset: Int
    ) async throws -> (messages: [OutboxMessage], more: Bool) {
        var query = SQLQueryString("SELECT * FROM outbox")
        if let statuses, !statuses.isEmpty { query += " WHERE status IN (\(binds: statuses))" }
        query += " ORDER BY created_at DESC, id LIMIT \(bind: limit + 1) OFFSET \(bind: offset)"
        let rows = try await database.raw(query).all()
        return (try rows.prefix(limit).map(Self.outboxMessage(from:)), rows.count > limit)
    }

    /// Every text about `jobID`, oldest first.
    package func outbox(jobID: String) async throws -> [OutboxMessage] {
        try await database.raw("SELECT * FROM outbox WHERE job_id = \(bind: jobID) ORDER BY created_at, sequence")
            .all().map(Self.outboxMessage(from:))
    }

    /// Live jobs booked since `since` whose latest confirmation text is missing, failed or undelivered.
    package func jobsWithoutConfirmation(since: Date, limit: Int) async throws -> [Job] {
        let rows = try await database.raw(
            """
            SELECT j.* FROM jobs j
            WHERE j.created_at >= \(bind: SQLTimestamp.text(since)) AND j.status <> 'cancelled'
            AND COALESCE((
                SELECT o.status FROM outbox o WHERE o.job_id = j.id AND o.kind = \(bind: BookingService.confirmationKind)
                ORDER BY o.sequence DESC LIMIT 1
            ), 'none') IN ('none', 'failed', 'undelivered', 'disabled')
            ORDER BY j.created_at DESC LIMIT \(bind: limit)
            """
        ).all()
        return try rows.map(Self.job(from:))
    }
}
