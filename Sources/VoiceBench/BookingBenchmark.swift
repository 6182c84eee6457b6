import AsyncHTTPClient
import Booking
import BookingServer
import Foundation
import Histogram
import Hummingbird
import Logging
import RealtimeAPI
import Synchronization
import VoiceTesting

/// Measures the booking MCP server end to end: tool calls per second and latency percentiles of
/// `check_availability` and `create_booking`, over real HTTP on loopback, with N concurrent MCP clients, on SQLite
/// or PostgreSQL. Not a test: it prints figures.
package struct BookingBenchmark: Sendable {
    package enum Backend: String, Sendable, CaseIterable {
        case sqlite, postgres
    }

    package struct Row: Sendable, Codable {
        package var backend: String
        package var tool: String
        /// Booking servers sharing the database, the clients spread across them.
        package var instances: Int
        package var clients: Int
        package var calls: Int
        package var refusals: Int
        package var callsPerSecond: Double
        package var p50Milliseconds: Double
        package var p99Milliseconds: Double
        package var maxMilliseconds: Double
    }

    package var backends: [Backend]
    package var clientCounts: [Int]
    package var duration: Duration
    package var postgresURL: String?
    /// Booking servers on one database (PostgreSQL only beyond one), each with its own connection pool and text
    /// sender, as separate instances would be.
    package var instances: Int

    package init(
        backends: [Backend],
        clientCounts: [Int],
        duration: Duration,
        postgresURL: String?,
        instances: Int = 1
    ) {
        self.backends = backends
        self.clientCounts = clientCounts
        self.duration = duration
        self.instances = instances
        self.postgresURL = postgresURL
    }

    /// A fleet big enough that `create_booking` keeps finding free slots for the whole run: 300 crews and trucks,
    /// two windows, two years ahead, Sundays open.
    static func benchmarkPolicy() -> BookingPolicy {
        var policy = BookingPolicy.standard()
        policy.crews = (1...300).map { Crew(id: "crew-\($0)", name: "Crew \($0)", size: 4) }
        policy.trucks = (1...300).map { Truck(id: "truck-\($0)", name: "Truck \($0)", size: .large) }
        policy.horizonDays = 730
        policy.closedWeekdays = []
        return policy
    }

    package func run(logger: Logger, report: (Row) -> Void) async throws {
        for backend in backends {
            var environment = ["MCP_SERVER_TOKEN": "bench-token"]
            var schema: String?
            switch backend {
            case .sqlite:
                guard instances == 1 else {
                    logger.warning("Skipping SQLite: it is one instance's database; several need PostgreSQL")
                    continue
                }
                environment["DATABASE_URL"] =
                    FileManager.default.temporaryDirectory
                    .appendingPathComponent("booking-bench-\(UUID()).sqlite").path
            case .postgres:
                guard let postgresURL else {
                    logger.warning("Skipping PostgreSQL: pass --postgres-url")
                    continue
                }
                environment["DATABASE_URL"] = postgresURL
                schema = "bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            }
            let configuration = try await BookingServerConfiguration.load(
                environment: environment,
                environmentFile: nil
            )
            var overrides = BookingServer.Overrides()
            overrides.policy = Self.benchmarkPolicy()
            overrides.schema = schema
            try await Self.withServers(instances, configuration: configuration, overrides: overrides, logger: logger) {
                ports in
                let urls = ports.map { "http://127.0.0.1:\($0)/mcp" }
                for tool in ["check_availability", "create_booking"] {
                    for clients in clientCounts {
                        report(try await measure(tool: tool, clients: clients, urls: urls, backend: backend))
                    }
                }
            }
        }
    }

    /// Runs `count` booking servers on one database, started together, for `body`, which gets their ports.
    private static func withServers(
        _ count: Int,
        configuration: BookingServerConfiguration,
        overrides: BookingServer.Overrides,
        logger: Logger,
        ports: [Int] = [],
        _ body: ([Int]) async throws -> Void
    ) async throws {
        guard ports.count < count else { return try await body(ports) }
        var overrides = overrides
        try await LoopbackServer.run(logger: logger) { onServerRunning in
            overrides.onServerRunning = onServerRunning
            return try await BookingServer.build(
                configuration: configuration,
                host: "127.0.0.1",
                port: 0,
                overrides: overrides,
                logger: logger
            ).application
        } _: { port in
            try await withServers(
                count,
                configuration: configuration,
                overrides: overrides,
                logger: logger,
                ports: ports + [port],
                body
            )
        }
    }

    private func measure(tool: String, clients: Int, urls: [String], backend: Backend) async throws -> Row {
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                connectionPool: .init(
                    idleTimeout: .seconds(30),
                    concurrentHTTP1ConnectionsPerHostSoftLimit: clients + 2
                )
            )
        )
        do {
            let row = try await measure(
                tool: tool,
                clients: clients,
                urls: urls,
                backend: backend,
                httpClient: httpClient
            )
            try await httpClient.shutdown()
            return row
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    private func measure(
        tool: String,
        clients: Int,
        urls: [String],
        backend: Backend,
        httpClient: HTTPClient
    ) async throws -> Row {
        // Client `i` talks to instance `i` modulo their number, as a load balancer would spread them.
        let loads = urls.map { MCPLoadClient(url: $0, token: "bench-token", client: httpClient) }
        let sessions = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<clients {
                group.addTask { (index, try await loads[index % loads.count].initialize()) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }.sorted { $0.key < $1.key }.map(\.value)
        }
        let start = ContinuousClock.now
        let end = start + duration
        let results = try await withThrowingTaskGroup(of: (Histogram<UInt64>, Int, Int).self) { group in
            for (index, session) in sessions.enumerated() {
                group.addTask {
                    var histogram = Histogram<UInt64>(
                        highestTrackableValue: 60_000_000,
                        numberOfSignificantValueDigits: .three
                    )
                    var calls = 0
                    var refusals = 0
                    let load = loads[index % loads.count]
                    while ContinuousClock.now < end {
                        let arguments = Self.arguments(for: tool, client: index, call: calls)
                        let started = ContinuousClock.now
                        let ok = try await load.callTool(tool, arguments: arguments, id: calls + 1, session: session)
                        let elapsed = ContinuousClock.now - started
                        _ = histogram.record(
                            UInt64(
                                elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds
                                    / 1_000_000_000_000
                            )
                        )
                        calls += 1
                        if !ok { refusals += 1 }
                    }
                    return (histogram, calls, refusals)
                }
            }
            var merged = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
            var calls = 0
            var refusals = 0
            for try await (histogram, clientCalls, clientRefusals) in group {
                merged.add(histogram)
                calls += clientCalls
                refusals += clientRefusals
            }
            return (merged, calls, refusals)
        }
        let seconds =
            Double((ContinuousClock.now - start).components.seconds)
            + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
        return Row(
            backend: backend.rawValue,
            tool: tool,
            instances: urls.count,
            clients: clients,
            calls: results.1,
            refusals: results.2,
            callsPerSecond: Double(results.1) / seconds,
            p50Milliseconds: Double(results.0.valueAtPercentile(50)) / 1000,
            p99Milliseconds: Double(results.0.valueAtPercentile(99)) / 1000,
            maxMilliseconds: Double(results.0.maxRecorded) / 1000
        )
    }

    /// Different dates per client and call, so bookings spread over the calendar instead of fighting over one slot;
    /// from two days ahead, clear of the lead time.
    static func arguments(for tool: String, client: Int, call: Int) -> JSONValue {
        let first = CalendarDate(Date(), in: TimeZone(identifier: "America/New_York")!).adding(days: 2)
        let day = first.adding(days: (client * 7 + call) % 700)
        switch tool {
        case "create_booking":
            return [
                "customer_name": .string("Bench Client \(client)"),
                "phone": .string("+1415555\(String(format: "%04d", client % 10_000))"),
                "pickup_address": "1 Test St", "dropoff_address": "2 Test Ave", "date": .string(day.iso),
                "window": .string(call % 2 == 0 ? "morning" : "afternoon"), "home_size": "studio",
            ]
        default:
            return ["date": .string(day.iso), "home_size": "2_bedroom"]
        }
    }
}
