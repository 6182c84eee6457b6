import AsyncHTTPClient
import BookingServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import ServerConfiguration
import Testing
import VoiceTesting

@testable import VoiceServer

/// Two listeners (issue 13): the public port serves Twilio and load balancers only; `/metrics` and the booking
/// system's `/mcp` are on the admin listener, which off loopback needs `ADMIN_TOKEN`.
extension CallTests {
    static let initialize =
        #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#

    /// POSTs an MCP `initialize` to the admin listener's `/mcp`; the status code.
    static func initializeMCP(_ server: VoiceApplication, bearer token: String?) async throws -> Int {
        _ = try await eventually { server.adminPort.value != nil }
        let port = try #require(server.adminPort.value)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/mcp")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: initialize))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    @Test func thePublicPortServesNoAdminRoutes() async throws {
        try await withVoiceServer { client, server in
            for path in ["/metrics", "/mcp"] {
                let get = try await client.execute(uri: path, method: .get) { $0.status }
                #expect(get == .notFound, "\(path)")
            }
            let post = try await client.execute(uri: "/mcp", method: .post, body: ByteBuffer(string: Self.initialize)) {
                $0.status
            }
            #expect(post == .notFound)
            // They are on the admin listener, which on loopback and without a token lets requests in.
            let status1 = try await Self.admin(server, "/metrics").status
            #expect(status1 == 200)
            let status2 = try await Self.initializeMCP(server, bearer: nil)
            #expect(status2 == 200)
        }
    }

    @Test func offLoopbackTheAdminListenerNeedsItsToken() async throws {
        var environment = TestValues.environment
        environment["ADMIN_HOST"] = "0.0.0.0"
        environment["ADMIN_TOKEN"] = "admin-secret"
        environment["MCP_SERVER_TOKEN"] = "mcp-secret"
        try await withVoiceServer(environment: environment) { _, server in
            let status3 = try await Self.admin(server, "/metrics").status
            #expect(status3 == 401)
            let status4 = try await Self.admin(server, "/metrics", bearer: "wrong").status
            #expect(status4 == 401)
            let status5 = try await Self.admin(server, "/metrics", bearer: "mcp-secret").status
            #expect(status5 == 401)
            let status6 = try await Self.admin(server, "/metrics", bearer: "admin-secret").status
            #expect(status6 == 200)
            let status7 = try await Self.initializeMCP(server, bearer: nil)
            #expect(status7 == 401)
            let status8 = try await Self.initializeMCP(server, bearer: "mcp-secret")
            #expect(status8 == 200)
            let status9 = try await Self.initializeMCP(server, bearer: "admin-secret")
            #expect(status9 == 200)
        }
    }

    @Test func anAdminListenerOffLoopbackWithoutATokenStopsStartUp() async throws {
        var environment = TestValues.environment
        environment["ADMIN_HOST"] = "0.0.0.0"
        for host in ["0.0.0.0", "10.0.0.5", "::"] {
            environment["ADMIN_HOST"] = host
            await #expect {
                try await VoiceServerConfiguration.load(environment: environment, environmentFile: nil)
            } throws: { error in
                (error as? ConfigurationError)?.variable == "ADMIN_TOKEN"
            }
        }
        for host in ["127.0.0.1", "localhost", "::1"] {
            environment["ADMIN_HOST"] = host
            #expect(
                try await VoiceServerConfiguration.load(environment: environment, environmentFile: nil).adminHost
                    == host
            )
        }
    }

    @Test func bookingMCPOffLoopbackWithoutATokenDoesNotStart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mcp-\(UUID()).sqlite").path
        let open = try await BookingServerConfiguration.load(environment: ["DATABASE_URL": path], environmentFile: nil)
        await #expect {
            _ = try await BookingServer.build(configuration: open, host: "0.0.0.0", port: 0, logger: Logger(label: "t"))
        } throws: { error in
            (error as? ConfigurationError)?.variable == "MCP_SERVER_TOKEN"
        }
        // Nothing was opened: the refusal comes before the database.
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
