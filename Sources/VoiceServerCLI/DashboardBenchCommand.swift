import ArgumentParser
import Foundation
import Logging
import VoiceBench

/// `voice-server dashboard-bench`: the office's pages timed over a large history (issue 17's target: under 50 ms
/// with 10,000 calls and 10,000 moves).
struct DashboardBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard-bench",
        abstract: "Time the dashboard's pages with many calls and moves in the database (p50/p95/max per page)."
    )

    @Option(help: "Calls in the database (a dozen events each).")
    var calls: Int = 10_000

    @Option(help: "Moves in the database (with their holds, history and texts).")
    var jobs: Int = 10_000

    @Option(help: "Requests timed per page (after three to warm up).")
    var requests: Int = 30

    @Option(help: "Backends to measure: sqlite, postgres (comma-separated).")
    var backends: String = "sqlite"

    @Option(
        name: .customLong("postgres-url"),
        help: "PostgreSQL to measure (a fresh schema is used); default TEST_POSTGRES_URL."
    )
    var postgresURL: String?

    func validate() throws {
        guard calls > 0, jobs > 0, requests > 0 else {
            throw ValidationError("--calls, --jobs and --requests take positive numbers")
        }
    }

    func run() async throws {
        bootstrapLogging(level: .notice, toStandardError: true)
        var rows: [DashboardBenchmark.Row] = []
        print("backend   page                   requests    p50 ms    p95 ms    max ms     bytes")
        for backend in backends.split(separator: ",") {
            var url: String?
            switch backend {
            case "sqlite": url = nil
            case "postgres":
                url = postgresURL ?? ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"]
                guard url != nil else { throw ValidationError("postgres needs --postgres-url or TEST_POSTGRES_URL") }
            default: throw ValidationError("unknown backend \(backend): use sqlite or postgres")
            }
            let benchmark = DashboardBenchmark(calls: calls, jobs: jobs, requests: requests, postgresURL: url)
            for row in try await benchmark.run(logger: Logger(label: "dashboard-bench")) {
                rows.append(row)
                print(
                    row.backend.padding(toLength: 9, withPad: " ", startingAt: 0) + " "
                        + row.page.padding(toLength: 22, withPad: " ", startingAt: 0)
                        + String(
                            format: " %8d %9.2f %9.2f %9.2f %9d",
                            row.requests,
                            row.p50Milliseconds,
                            row.p95Milliseconds,
                            row.maxMilliseconds,
                            row.bytes
                        )
                )
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        print(String(decoding: try encoder.encode(rows), as: UTF8.self))
    }
}
