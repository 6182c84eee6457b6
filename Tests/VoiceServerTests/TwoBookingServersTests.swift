import Booking
import BookingMCP
import CallBridge
import Foundation
import Logging
import MCPClient
import NIOHTTP1
import SQLKit
import SQLStorage
import Testing
import VoiceTesting

@testable import VoiceServer

/// Issue 15: two `booking-mcp` processes on one PostgreSQL database, the README's way to run more than one.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct TwoBookingServersTests {
    static let logger = Logger(label: "two-booking-servers")

    @Test func twoInstancesStartedTogetherOnAnEmptyDatabaseAgreeAndNeverBookBeyondCapacity() async throws {
        guard let (url, schema) = try TestDatabase.postgres.location(), let schema else { return }
        // One crew and one truck: a date has room for two studio moves, one a window.
        let policyPath = FileManager.default.temporaryDirectory.appendingPathComponent("one-crew-\(UUID()).json")
        try Data(
            #"{"crews":[{"id":"crew-1","name":"Crew 1","size":4}],"trucks":[{"id":"truck-1","name":"26 ft","size":"large"}]}"#
                .utf8
        ).write(to: policyPath)
        defer { try? FileManager.default.removeItem(at: policyPath) }
        let environment = [
            "DATABASE_URL": url + "?schema=" + schema, "BOOKING_POLICY_FILE": policyPath.path, "LOG_LEVEL": "info",
        ]
        // Started at the same instant.
        let servers = try (0..<2).map { _ in
            let port = try FreePort.find()
            return try VoiceServerProcess.start(
                executable: try VoiceServerProcess.builtBesideTests,
                port: port,
                environment: environment,
                arguments: ["booking-mcp", "--port", String(port), "--env-file", "/nonexistent"]
            )
        }
        defer { for server in servers where server.process.isRunning { server.signal(SIGKILL) } }
        for server in servers { try await server.waitUntilHealthy() }

        // They agree on the schema: each version applied once.
        let storage = try await SQLStorage.postgres(url: url, schema: schema, logger: TestDatabase.quietLogger)
        let versions = try await storage.database.raw("SELECT version FROM schema_migrations ORDER BY version").all()
            .map { try $0.decode(column: "version", as: Int.self) }
        #expect(versions == [1, 2, 3, 4, 5])

        // 40 callers, each on its own call, split across the two instances and the two windows of one date.
        var day = CalendarDate(Date(), in: TimeZone(identifier: "America/New_York")!).adding(days: 3)
        while day.weekday == .sunday { day = day.adding(days: 1) }
        let date = day
        let gateways = servers.map { server in
            MCPToolGateway.remote(url: URL(string: server.url + "/mcp")!, token: { nil }, logger: Self.logger)
        }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<40 {
                group.addTask {
                    let window = caller.isMultiple(of: 2) ? "morning" : "afternoon"
                    let call = ToolCall(
                        name: "create_booking",
                        arguments: """
                            {"customer_name":"Caller \(caller)","pickup_address":"1 Main St",\
                            "dropoff_address":"2 Oak Ave","date":"\(date.iso)","window":"\(window)","home_size":"studio"}
                            """,
                        callID: "call_1",
                        callSid: "CA" + String(format: "%032d", caller),
                        callerNumber: "+1415555" + String(format: "%04d", caller)
                    )
                    return (try? await gateways[caller % 2].call(call)) != nil
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for gateway in gateways { await gateway.close() }
        #expect(outcomes.filter { $0 }.count == 2)
        let jobs = try await storage.database.raw(
            "SELECT time_window FROM jobs WHERE move_date = \(bind: date.iso) AND status <> 'cancelled'"
        ).all().map { try $0.decode(column: "time_window", as: String.self) }
        #expect(jobs.sorted() == ["afternoon", "morning"])
        await storage.close()
        for server in servers {
            server.signal()
            #expect(await server.exitStatus(within: .seconds(15)) == 0, "\(server.log)")
        }
    }
}
