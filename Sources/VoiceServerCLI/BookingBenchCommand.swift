import ArgumentParser
import Foundation
import Logging
import VoiceBench

struct BookingBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "booking-bench",
        abstract: "Benchmark the booking MCP server: tool calls per second and p50/p99 latency, over HTTP on loopback."
    )

    @Option(help: "Backends to measure: sqlite, postgres (comma-separated).")
    var backends: String = "sqlite,postgres"

    @Option(help: "Concurrent MCP clients (comma-separated).")
    var clients: String = "1,8,64"

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 5

    @Option(
        name: .customLong("postgres-url"),
        help: "PostgreSQL to measure (a fresh schema is used); default TEST_POSTGRES_URL."
    )
    var postgresURL: String?

    @Option(help: "Booking servers sharing the database, clients spread across them (more than 1: PostgreSQL only).")
    var instances: Int = 1

    func validate() throws {
        guard (1...8).contains(instances) else { throw ValidationError("--instances takes 1 to 8") }
    }

    func run() async throws {
        bootstrapLogging(level: .warning, toStandardError: true)
        let backendList = try backends.split(separator: ",").map { name in
            guard let backend = BookingBenchmark.Backend(rawValue: String(name)) else {
                throw ValidationError("unknown backend \(name): use sqlite or postgres")
            }
            return backend
        }
        let clientCounts = try clients.split(separator: ",").map { text in
            guard let count = Int(text), count > 0 else { throw ValidationError("--clients takes positive numbers") }
            return count
        }
        let benchmark = BookingBenchmark(
            backends: backendList,
            clientCounts: clientCounts,
            duration: .milliseconds(Int64(seconds * 1000)),
            postgresURL: postgresURL ?? ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"],
            instances: instances
        )
        print(
            "backend   tool                instances clients   calls/s    p50 ms    p99 ms    max ms   calls  refusals"
        )
        var rows: [BookingBenchmark.Row] = []
        try await benchmark.run(logger: Logger(label: "booking-bench")) { row in
            rows.append(row)
            let figures = String(
                format: "%9d %7d %9.0f %9.2f %9.2f %9.2f %7d %9d",
                row.instances,
                row.clients,
                row.callsPerSecond,
                row.p50Milliseconds,
                row.p99Milliseconds,
                row.maxMilliseconds,
                row.calls,
                row.refusals
            )
            print(
                row.backend.padding(toLength: 9, withPad: " ", startingAt: 0) + " "
                    + row.tool.padding(toLength: 19, withPad: " ", startingAt: 0) + " " + figures
            )
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        print(String(decoding: try encoder.encode(rows), as: UTF8.self))
    }
}
