import Booking
import BookingMCP
import BookingServer
import CallBridge
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import MCP
import MCPClient
import Testing
import VoiceTesting

@testable import VoiceServer

/// The booking system's MCP server reached over real HTTP, as with `MCP_SERVER_URL`: a bearer token, the server
/// going away and coming back on the same port.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct RemoteBookingToolsTests {
    static let token = "remote-booking-token"

    static var logger: Logger {
        var logger = Logger(label: "remote-booking-tools")
        logger.logLevel = .warning
        return logger
    }

    /// The standalone booking server (`booking-mcp`) on a fresh SQLite file, on 127.0.0.1:`port` (a free one when
    /// 0), for the length of `body`.
    static func serve<Value: Sendable>(
        port: Int = 0,
        token: String? = RemoteBookingToolsTests.token,
        _ body: (_ url: URL, _ server: BookingServer) async throws -> Value
    ) async throws -> Value {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("remote-\(UUID()).sqlite").path
        var environment = ["DATABASE_URL": path]
        environment["MCP_SERVER_TOKEN"] = token
        let configuration = try await BookingServerConfiguration.load(environment: environment, environmentFile: nil)
        var built: BookingServer?
        return try await LoopbackServer.run(logger: logger) { onServerRunning in
            var overrides = BookingServer.Overrides()
            overrides.onServerRunning = onServerRunning
            let server = try await BookingServer.build(
                configuration: configuration,
                host: "127.0.0.1",
                port: port,
                overrides: overrides,
                logger: logger
            )
            built = server
            return server.application
        } _: { port in
            try await body(URL(string: "http://127.0.0.1:\(port)/mcp")!, try #require(built))
        }
    }

    /// The same, when `body` needs neither the URL nor the server.
    static func serve<Value: Sendable>(
        port: Int,
        token: String? = RemoteBookingToolsTests.token,
        _ body: () async throws -> Value
    ) async throws -> Value {
        try await serve(port: port, token: token) { _, _ in try await body() }
    }

    static func call(_ name: String, _ arguments: String, callID: String) -> ToolCall {
        ToolCall(
            name: name,
            arguments: arguments,
            callID: callID,
            callSid: "CA" + String(repeating: "9", count: 32),
            callerNumber: "+14155552671"
        )
    }

    static let availability = #"{"date":"2099-01-01"}"#

    @Test func toolsAreListedAndCalledWithTheToken() async throws {
        try await Self.serve { url, server in
            do {
                let system = server.system
                let provider = MCPToolGateway.remote(url: url, token: { Self.token }, logger: Self.logger)
                let tools = try await provider.tools()
                // Every tool but the voice server's own, finish_call, which the assistant is never offered nor may run.
                let forCalls = BookingToolDefinitions.all.map(\.name).filter { $0 != BookingToolDefinitions.finishCall }
                #expect(tools.map(\.name).sorted() == forCalls.sorted())
                await #expect(throws: ToolError.self) {
                    try await provider.call(Self.call(BookingToolDefinitions.finishCall, "{}", callID: "c0"))
                }
                // The end of a call that booked nothing names no job.
                #expect(await provider.callEnded(callSid: "CA0", callerNumber: nil) == [])
                #expect(tools.first { $0.name == "check_availability" }?.hasSideEffects == false)
                #expect(tools.first { $0.name == "create_booking" }?.hasSideEffects == true)
                #expect(await system.endpoint.sessionCount == 1)
                // A refusal from the booking rules reaches the assistant as a sentence.
                let refusal = await #expect(throws: ToolError.self) {
                    try await provider.call(Self.call("check_availability", Self.availability, callID: "c1")).output
                }
                #expect(refusal?.speakableMessage.contains("ahead") == true, "\(String(describing: refusal))")
                // Closing ends the session on the server.
                await provider.close()
                #expect(await system.endpoint.sessionCount == 0)
            }
        }
    }

    @Test func aWrongTokenMeansTheKnownToolsWhoseCallsSaySoAndAWarning() async throws {
        try await Self.serve { url, server in
            do {
                let system = server.system
                let provider = MCPToolGateway.remote(url: url, token: { "wrong" }, logger: Self.logger)
                // The known booking tools are offered, and calling one says the system is unreachable.
                let offered = try await provider.tools()
                #expect(offered.count == BookingToolDefinitions.all.count - 1)
                await #expect(throws: ToolError(MCPToolGateway.unreachableMessage)) {
                    try await provider.call(Self.call("get_job_details", "{}", callID: "c1")).output
                }
                #expect(await system.endpoint.sessionCount == 0)
                await provider.close()
            }
        }
    }

    /// The server goes away between two tool calls and comes back on the same port: the call in between is told
    /// the system is unreachable, and the client reconnects by itself.
    @Test func aServerThatGoesAwayMidCallIsReconnectedWhenBack() async throws {
        do {
            let port = try FreePort.find()
            let url = URL(string: "http://127.0.0.1:\(port)/mcp")!
            let provider = MCPToolGateway.remote(url: url, token: { Self.token }, logger: Self.logger)
            try await Self.serve(port: port) {
                let jobs = try await provider.call(Self.call("get_job_details", "{}", callID: "c1")).output
                #expect(jobs.contains(#""jobs":[]"#))
            }
            await #expect(throws: ToolError(MCPToolGateway.unreachableMessage)) {
                try await provider.call(Self.call("get_job_details", "{}", callID: "c2")).output
            }
            #expect(await provider.isConnected == false)
            try await Self.serve(port: port) {
                #expect(try await eventually(timeout: .seconds(20)) { await provider.isConnected })
                #expect(await provider.reconnectCount == 1)
                let jobs = try await provider.call(Self.call("get_job_details", "{}", callID: "c3")).output
                #expect(jobs.contains(#""jobs":[]"#))
                await provider.close()
            }
        }
    }

    /// What a booking did reaches the voice server as data (`_meta.bookedJobId`), not as text to parse; a read-only
    /// tool reports no effect.
    @Test func aBookingResultCarriesTheJobItBookedAsData() async throws {
        try await Self.serve { url, server in
            let provider = MCPToolGateway.remote(url: url, token: { Self.token }, logger: Self.logger)
            var date = server.system.service.today.adding(days: 2)
            while date.weekday == .sunday { date = date.adding(days: 1) }
            let arguments = """
                {"customer_name":"Dana Whitfield","pickup_address":"12 Grand St","dropoff_address":"400 W 57th St",\
                "date":"\(date.iso)","window":"morning","home_size":"studio"}
                """
            let booked = try await provider.call(Self.call("create_booking", arguments, callID: "c1"))
            let job = try #require(try await server.system.service.jobs(phone: "+14155552671").first)
            #expect(booked.effects == [.bookedJob(id: job.id)])
            let details = try await provider.call(Self.call("get_job_details", "{}", callID: "c2"))
            #expect(details.effects.isEmpty)
            await provider.close()
        }
    }
}
