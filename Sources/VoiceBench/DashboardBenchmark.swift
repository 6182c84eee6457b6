import AsyncHTTPClient
import Booking
import BookingServer
import CallRecordsSQL
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SQLKit
import SQLStorage
import VoiceServer
import VoiceTesting

/// `voice-server dashboard-bench`: how long the office's pages take with a large history. Fills a fresh database
/// (SQLite, or a fresh schema on PostgreSQL) with `calls` calls of a dozen events each and `jobs` moves with their
/// crew and truck holds, history and texts, starts the real server, signs in, and times each page over HTTP.
package struct DashboardBenchmark: Sendable {
    package struct Row: Sendable, Codable {
        package var backend: String
        package var page: String
        package var requests: Int
        package var p50Milliseconds: Double
        package var p95Milliseconds: Double
        package var maxMilliseconds: Double
        package var bytes: Int
    }

    package var calls: Int
    package var jobs: Int
    package var requests: Int
    /// `nil`: SQLite in a temporary file.
    package var postgresURL: String?

    package init(calls: Int, jobs: Int, requests: Int, postgresURL: String?) {
        self.calls = calls
        self.jobs = jobs
        self.requests = requests
        self.postgresURL = postgresURL
    }

    static let token = "dashboard-bench-token"

    package func run(logger: Logger) async throws -> [Row] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-bench-\(UUID()).sqlite")
            .path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var databaseURL = path
        if let postgresURL {
            let schema = "dashboard_bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            databaseURL = postgresURL + (postgresURL.contains("?") ? "&" : "?") + "schema=\(schema)"
        }
        let configuration = try await VoiceServerConfiguration.load(
            environment: [
                "HOST": "127.0.0.1", "PORT": "0", "ADMIN_PORT": "0", "ADMIN_TOKEN": Self.token,
                "DATABASE_URL": databaseURL,
            ],
            environmentFile: nil
        )
        var built: VoiceApplication?
        return try await LoopbackServer.run(logger: logger) { onServerRunning in
            var overrides = VoiceApplication.Overrides()
            overrides.onServerRunning = onServerRunning
            let server = try await VoiceApplication.build(
                configuration: configuration,
                overrides: overrides,
                logger: logger
            )
            built = server
            return server.application
        } _: { _ in
            guard let server = built, let booking = server.bookingSystem else { throw CancellationError() }
            let seeded = Date()
            let sample = try await seed(server.callRecords.storage, today: booking.service.today)
            logger.notice(
                "Seeded",
                metadata: [
                    "calls": "\(calls)", "jobs": "\(jobs)", "seconds": "\(Int(Date().timeIntervalSince(seeded)))",
                ]
            )
            _ = try await eventually { server.adminPort.value != nil }
            let base = "http://127.0.0.1:\(server.adminPort.value ?? 0)"
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(redirectConfiguration: .disallow)
            )
            do {
                let cookie = try await signIn(client, base: base)
                let pages: [(String, String)] = [
                    ("today", "/dashboard"),
                    ("calls", "/dashboard/calls"),
                    ("calls page 100", "/dashboard/calls?page=100"),
                    ("calls by caller", "/dashboard/calls?caller=\(sample.callerDigits)"),
                    ("calls booked, a week", "/dashboard/calls?outcome=booked&from=\(sample.weekAgo)"),
                    ("call detail", "/dashboard/calls/\(sample.callSid)"),
                    ("moves", "/dashboard/moves"),
                    ("moves by job", "/dashboard/moves?q=\(sample.jobID)"),
                    ("moves by phone", "/dashboard/moves?q=\(sample.callerDigits)"),
                    ("moves by date", "/dashboard/moves?date=\(sample.date)"),
                    ("move detail", "/dashboard/moves/\(sample.jobID)"),
                    ("texts failed", "/dashboard/texts"),
                    ("texts all", "/dashboard/texts?status=all"),
                    ("day grid", "/dashboard/days/\(sample.date)"),
                ]
                var rows: [Row] = []
                for (name, path) in pages {
                    rows.append(try await time(name, path, client: client, base: base, cookie: cookie))
                }
                try await client.shutdown()
                return rows
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    /// What the timed pages look up: a call, a caller, a job and a day that exist.
    struct Sample {
        var callSid: String
        var callerDigits: String
        var jobID: String
        var date: String
        var weekAgo: String
    }

    /// Writes the calls and the jobs straight into the tables, in transactions of a thousand rows.
    func seed(_ storage: SQLStorage, today: CalendarDate) async throws -> Sample {
        let now = Date()
        let outcomes = ["booked", "ended_by_caller", "ended_by_assistant", "transferred", "failed"]
        for first in stride(from: 0, to: calls, by: 1000) {
            try await storage.transaction { database in
                for index in first..<min(calls, first + 1000) {
                    let sid = "CA" + String(format: "%032d", index)
                    // One call every 15 minutes, back from now.
                    let start = now.addingTimeInterval(-Double(calls - index) * 900)
                    let outcome = outcomes[index % outcomes.count]
                    try await database.raw(
                        """
                        INSERT INTO calls (call_sid, caller, started_at, ended_at, status, duration_seconds, outcome,
                        job_id, input_tokens, output_tokens, cost_micro_dollars, latency_total_ms, latency_count)
                        VALUES (\(bind: sid), \(bind: "+1415555\(String(format: "%04d", index % 10_000))"),
                        \(bind: SQLTimestamp.text(start)), \(bind: SQLTimestamp.text(start + 180)), 'completed', 180,
                        \(bind: outcome), \(bind: outcome == "booked" ? "QM-B\(String(format: "%05d", index % jobs))" : nil),
                        2000, 400, 40000, 2400, 6)
                        """
                    ).run()
                    for event in 0..<12 {
                        let kind = ["caller", "assistant", "latency", "tool"][event % 4]
                        try await database.raw(
                            """
                            INSERT INTO call_events (id, call_sid, at, kind, name, text, number, ok, detail) VALUES
                            (\(bind: "\(sid)-\(event)"), \(bind: sid), \(bind: SQLTimestamp.text(start + Double(event * 10))),
                            \(bind: kind), \(bind: kind == "tool" ? "check_availability" : nil),
                            \(bind: kind == "latency" ? nil : "A sentence of about the length people say on the phone."),
                            \(bind: kind == "latency" ? 400 : 12), \(bind: kind == "tool" ? 1 : nil),
                            \(bind: kind == "tool" ? #"{"available":true}"# : nil))
                            """
                        ).run()
                    }
                }
            }
        }
        // Eight moves a day (four crews, two windows), back from 30 days ahead; every tenth text failed.
        let windows = ["morning", "afternoon"]
        for first in stride(from: 0, to: jobs, by: 1000) {
            try await storage.transaction { database in
                for index in first..<min(jobs, first + 1000) {
                    let id = "QM-B\(String(format: "%05d", index))"
                    let date = today.adding(days: 30 - index / 8).iso
                    let crew = (index % 8) / 2 + 1
                    let window = windows[index % 2]
                    let created = SQLTimestamp.text(now.addingTimeInterval(-Double(jobs - index) * 3600))
                    let phone = "+1415555\(String(format: "%04d", index % 10_000))"
                    try await database.raw(
                        """
                        INSERT INTO jobs (id, customer_name, phone, email, pickup_address, dropoff_address, move_date,
                        time_window, home_size, special_items, estimated_hours, crew_id, truck_id, crew_size,
                        price_estimate_cents, status, notes, call_sid, idempotency_key, created_at, updated_at, updated_by)
                        VALUES (\(bind: id), \(bind: "Customer \(index)"), \(bind: phone), NULL,
                        \(bind: "\(index) Grand St, Brooklyn"), \(bind: "\(index) W 57th St, Manhattan"), \(bind: date),
                        \(bind: window), '2_bedroom', NULL, 4, \(bind: "crew-\(crew)"), \(bind: "truck-\(crew)"), 3, 113900,
                        'confirmed', NULL, NULL, NULL, \(bind: created), \(bind: created), 'staff')
                        """
                    ).run()
                    for (kind, resource) in [("crew", "crew-\(crew)"), ("truck", "truck-\(crew)")] {
                        try await database.raw(
                            """
                            INSERT INTO resource_claims (resource_kind, resource_id, move_date, time_window, job_id)
                            VALUES (\(bind: kind), \(bind: resource), \(bind: date), \(bind: window), \(bind: id))
                            """
                        ).run()
                    }
                    try await database.raw(
                        """
                        INSERT INTO job_events (id, job_id, sequence, at, by_whom, from_status, to_status, reason)
                        VALUES (\(bind: "booked-\(id)"), \(bind: id), 1, \(bind: created), 'staff', NULL, 'confirmed',
                        'booked')
                        """
                    ).run()
                    try await database.raw(
                        """
                        INSERT INTO outbox (id, job_id, kind, sequence, recipient, body, status, created_at, attempts,
                        last_error, requested_by)
                        VALUES (\(bind: "text-\(id)"), \(bind: id), 'booking_confirmation', 1, \(bind: phone),
                        'NYC Quick Movers: your move is booked.', \(bind: index % 10 == 0 ? "failed" : "delivered"),
                        \(bind: created), 1, \(bind: index % 10 == 0 ? "21211: invalid number" : nil), 'staff')
                        """
                    ).run()
                }
            }
        }
        let middle = calls / 2
        return Sample(
            callSid: "CA" + String(format: "%032d", middle),
            callerDigits: String(format: "%04d", middle % 10_000),
            jobID: "QM-B\(String(format: "%05d", jobs / 2))",
            date: today.adding(days: 1).iso,
            weekAgo: today.adding(days: -7).iso
        )
    }

    func signIn(_ client: HTTPClient, base: String) async throws -> String {
        let form = try await client.execute(HTTPClientRequest(url: base + "/dashboard/login"), timeout: .seconds(10))
        let page = String(buffer: try await form.body.collect(upTo: 1 << 20))
        let loginCookie = form.headers["Set-Cookie"].first.map { String($0.prefix { $0 != ";" }) } ?? ""
        guard let range = page.range(of: #"name="csrf" value=""#) else { throw BenchError("no sign-in form") }
        let csrf = String(page[range.upperBound...].prefix { $0 != "\"" })
        var request = HTTPClientRequest(url: base + "/dashboard/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Cookie", value: loginCookie)
        request.body = .bytes(ByteBuffer(string: "csrf=\(csrf)&token=\(Self.token)"))
        let response = try await client.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard let session = response.headers["Set-Cookie"].first(where: { $0.hasPrefix("dashboard_session=") }) else {
            throw BenchError("sign-in refused: \(response.status)")
        }
        return String(session.prefix { $0 != ";" })
    }

    func time(_ name: String, _ path: String, client: HTTPClient, base: String, cookie: String) async throws -> Row {
        var request = HTTPClientRequest(url: base + path)
        request.headers.add(name: "Cookie", value: cookie)
        var milliseconds: [Double] = []
        var bytes = 0
        for attempt in 0..<(requests + 3) {
            let started = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 << 20)
            let elapsed = ContinuousClock.now - started
            guard response.status == .ok else { throw BenchError("\(path) answered \(response.status)") }
            bytes = body.readableBytes
            // The first three warm the caches and the connection.
            if attempt >= 3 {
                milliseconds.append(
                    Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                )
            }
        }
        milliseconds.sort()
        func percentile(_ share: Double) -> Double {
            milliseconds[
                max(0, min(milliseconds.count - 1, Int((Double(milliseconds.count) * share).rounded(.up)) - 1))
            ]
        }
        return Row(
            backend: postgresURL == nil ? "sqlite" : "postgres",
            page: name,
            requests: milliseconds.count,
            p50Milliseconds: percentile(0.5),
            p95Milliseconds: percentile(0.95),
            maxMilliseconds: milliseconds.last ?? 0,
            bytes: bytes
        )
    }
}

/// A benchmark could not run as planned.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
