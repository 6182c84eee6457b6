import Booking
import BookingMCP
import BookingServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MCP
import MCPClient
import NIOCore
import RealtimeAPI
import Testing

/// The booking MCP server over real HTTP: the protocol by hand, and the official Python SDK as a client.
@Suite(.timeLimit(.minutes(2)))
struct BookingMCPTests {
    static let token = "mcp-test-token"

    static func withBookingMCP(
        _ test: @escaping @Sendable (any TestClientProtocol, BookingSystem) async throws -> Void
    ) async throws {
        try await withTemporaryBookingServer(.live, environment: ["MCP_SERVER_TOKEN": token]) { client, server in
            try await test(client, server.system)
        }
    }

    struct RPC: Sendable {
        var status: HTTPResponse.Status
        var sessionID: String?
        var message: JSONValue?
    }

    /// POSTs one JSON-RPC message; reads a JSON or an SSE answer.
    static func post(
        _ client: any TestClientProtocol,
        _ body: String,
        session: String? = nil,
        token: String? = BookingMCPTests.token
    ) async throws -> RPC {
        var headers: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let session {
            headers[HTTPField.Name("Mcp-Session-Id")!] = session
            headers[HTTPField.Name("MCP-Protocol-Version")!] = "2025-06-18"
        }
        return try await client.execute(uri: "/mcp", method: .post, headers: headers, body: ByteBuffer(string: body)) {
            response in
            let text = String(buffer: response.body)
            let json =
                response.headers[.contentType]?.hasPrefix("text/event-stream") == true
                ? ServerSentEventParser.messages(in: text.utf8).last
                : (text.isEmpty ? nil : text)
            return RPC(
                status: response.status,
                sessionID: response.headers[HTTPField.Name("Mcp-Session-Id")!],
                message: try json.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            )
        }
    }

    static let initialize =
        #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"swift-test","version":"1"}}}"#

    static func session(_ client: any TestClientProtocol) async throws -> String {
        let answer = try await post(client, initialize)
        #expect(answer.status == .ok)
        let session = try #require(answer.sessionID)
        let initialized = try await post(
            client,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            session: session
        )
        #expect(initialized.status == .accepted)
        return session
    }

    static func call(
        _ client: any TestClientProtocol,
        session: String,
        id: Int,
        tool: String,
        arguments: JSONValue
    ) async throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body: JSONValue = [
            "jsonrpc": "2.0", "id": .number(Double(id)), "method": "tools/call",
            "params": ["name": .string(tool), "arguments": arguments],
        ]
        let answer = try await post(client, String(decoding: try encoder.encode(body), as: UTF8.self), session: session)
        #expect(answer.status == .ok)
        return try #require(answer.message?["result"])
    }

    @Test func initializeListAndCallOverHTTP() async throws {
        try await Self.withBookingMCP { client, _ in
            let session = try await Self.session(client)
            let list = try await Self.post(client, #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#, session: session)
            let tools = try #require(list.message?["result"]?["tools"]?.arrayValue)
            #expect(
                Set(tools.compactMap { $0["name"]?.stringValue })
                    == [
                        "check_availability", "create_booking", "send_confirmation", "update_job_status", "finish_call",
                        "get_job_details", "send_verification_code", "check_verification_code",
                    ]
            )
            #expect(tools.allSatisfy { $0["inputSchema"]?["type"] == "object" })

            let availability = try await Self.call(
                client,
                session: session,
                id: 3,
                tool: "check_availability",
                arguments: ["date": "tomorrow", "home_size": "studio"]
            )
            #expect(availability["isError"] == nil || availability["isError"] == false)
            let structured = try #require(availability["structuredContent"])
            #expect(structured["weekday"]?.stringValue != nil)
            #expect(structured["windows"]?.arrayValue?.count == 2)
            #expect(structured["estimate"]?["price_usd"] != nil)

            let booking = try await Self.call(
                client,
                session: session,
                id: 4,
                tool: "create_booking",
                arguments: [
                    "customer_name": "Ada Lovelace", "phone": "(415) 555-2671", "pickup_address": "12 Main St",
                    "dropoff_address": "34 Elm Ave", "date": "next Friday", "window": "morning",
                    "home_size": "1 bedroom",
                ]
            )
            let jobID = try #require(booking["structuredContent"]?["job_id"]?.stringValue)
            #expect(jobID.hasPrefix("QM-"))
            #expect(booking["structuredContent"]?["phone"] == "+14155552671")

            let confirmation = try await Self.call(
                client,
                session: session,
                id: 5,
                tool: "send_confirmation",
                arguments: ["job_id": .string(jobID)]
            )
            #expect(confirmation["structuredContent"]?["text"]?.stringValue?.contains(jobID) == true)
            let again = try await Self.call(
                client,
                session: session,
                id: 6,
                tool: "send_confirmation",
                arguments: ["job_id": .string(jobID)]
            )
            #expect(again["structuredContent"]?["already_sent"] == true)
            #expect(again["structuredContent"]?["message_id"] == confirmation["structuredContent"]?["message_id"])

            let mine = try await Self.call(
                client,
                session: session,
                id: 7,
                tool: "get_job_details",
                arguments: ["phone": "+14155552671"]
            )
            #expect(mine["structuredContent"]?["jobs"]?.arrayValue?.count == 1)

            let cancelled = try await Self.call(
                client,
                session: session,
                id: 8,
                tool: "update_job_status",
                arguments: ["job_id": .string(jobID), "action": "cancel"]
            )
            #expect(cancelled["structuredContent"]?["status"] == "cancelled")
        }
    }

    @Test func refusalsAreToolErrorsWithASentence() async throws {
        try await Self.withBookingMCP { client, _ in
            let session = try await Self.session(client)
            let sunday = try await Self.call(
                client,
                session: session,
                id: 2,
                tool: "check_availability",
                arguments: ["date": "Sunday"]
            )
            #expect(sunday["isError"] == true)
            let text = try #require(sunday["content"]?.arrayValue?.first?["text"]?.stringValue)
            #expect(text.contains("Sundays"))
            let missing = try await Self.call(
                client,
                session: session,
                id: 3,
                tool: "create_booking",
                arguments: ["date": "tomorrow"]
            )
            #expect(missing["isError"] == true)
            let unknown = try await Self.call(
                client,
                session: session,
                id: 4,
                tool: "get_job_details",
                arguments: ["job_id": "QM-ZZZZZZ"]
            )
            #expect(unknown["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("can't find") == true)
        }
    }

    @Test(arguments: [nil, "wrong-token"])
    func aMissingOrWrongTokenGets401(token: String?) async throws {
        try await Self.withBookingMCP { client, _ in
            let answer = try await Self.post(client, Self.initialize, token: token)
            #expect(answer.status == .unauthorized)
            #expect(answer.sessionID == nil)
        }
    }

    /// The caller's number and the voice server's idempotency key come in `_meta`; the key in `_meta` wins over
    /// one the model put in the arguments, which could repeat across callers.
    @Test func callerNumberAndIdempotencyKeyComeFromMeta() async throws {
        try await Self.withBookingMCP { _, system in
            var date = CalendarDate(Date(), in: TimeZone(identifier: "America/New_York")!).adding(days: 3)
            while date.weekday == .sunday { date = date.adding(days: 1) }
            func book(metaKey: String, modelKey: String) async throws -> JSONValue {
                let result = await system.endpoint.toolbox.call(
                    CallTool.Parameters(
                        name: "create_booking",
                        arguments: [
                            "customer_name": "Ana Ruiz", "pickup_address": "1 Main St", "dropoff_address": "2 Oak Ave",
                            "date": .string(date.iso), "window": "afternoon", "home_size": "studio",
                            "idempotency_key": .string(modelKey),
                        ],
                        meta: Metadata(additionalFields: [
                            "idempotencyKey": .string(metaKey), "callerNumber": "+14155550123",
                            // The call is the key's prefix, as the voice server writes it.
                            "callSid": .string(String(metaKey.prefix { $0 != ":" })),
                        ])
                    )
                )
                #expect(result.isError != true)
                let data = try JSONEncoder().encode(try #require(result.structuredContent))
                return try JSONDecoder().decode(JSONValue.self, from: data)
            }
            let first = try await book(metaKey: "CA9:call_1", modelKey: "booking-1")
            #expect(first["phone"] == "+14155550123")
            #expect(first["call_sid"] == "CA9")
            // Another call whose model chose the same argument key gets its own job.
            let second = try await book(metaKey: "CA8:call_1", modelKey: "booking-1")
            #expect(second["job_id"] != first["job_id"])
            // The same function call repeated gets the same job.
            let repeated = try await book(metaKey: "CA9:call_1", modelKey: "something-else")
            #expect(repeated["job_id"] == first["job_id"])
            #expect(repeated["created"] == false)

            let lookup = await system.endpoint.toolbox.call(
                CallTool.Parameters(
                    name: "get_job_details",
                    arguments: [:],
                    meta: Metadata(additionalFields: ["callerNumber": "+14155550123", "callSid": "CA7"])
                )
            )
            let jobs = try JSONDecoder().decode(
                JSONValue.self,
                from: JSONEncoder().encode(try #require(lookup.structuredContent))
            )
            #expect(jobs["jobs"]?.arrayValue?.count == 2)
        }
    }

    @Test func unknownSessionsGet404AndDeleteEndsASession() async throws {
        try await Self.withBookingMCP { client, system in
            let stale = try await Self.post(
                client,
                #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
                session: "no-such-session"
            )
            #expect(stale.status == .notFound)
            let session = try await Self.session(client)
            #expect(await system.endpoint.sessionCount == 1)
            try await client.execute(
                uri: "/mcp",
                method: .delete,
                headers: [
                    .authorization: "Bearer \(Self.token)", HTTPField.Name("Mcp-Session-Id")!: session,
                    HTTPField.Name("MCP-Protocol-Version")!: "2025-06-18",
                ]
            ) { response in
                #expect(response.status == .ok)
            }
            #expect(await system.endpoint.sessionCount == 0)
        }
    }

    /// The official Python MCP SDK lists and calls our tools. `.ci/run` installs it and sets `MCP_INTEROP_PYTHON`.
    @Test func theOfficialPythonClientListsAndCallsTheTools() async throws {
        guard let python = ProcessInfo.processInfo.environment["MCP_INTEROP_PYTHON"] else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("MCP_INTEROP_PYTHON is not set under CI: interoperability was not tested")
            } else {
                print("Skipped the Python MCP interoperability test: set MCP_INTEROP_PYTHON to a python with `mcp`")
            }
            return
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/mcp_client_check.py").path
        try await Self.withBookingMCP { client, _ in
            let port = try #require(client.port)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script, "http://127.0.0.1:\(port)/mcp", Self.token]
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            // The output is a few KiB, well under a pipe's buffer: wait for the exit, then read.
            let deadline = ContinuousClock.now + .seconds(60)
            while process.isRunning, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            if process.isRunning { process.terminate() }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "\(errorText)")
            let result = try JSONDecoder().decode(JSONValue.self, from: data)
            #expect(result["server"] == "booking")
            #expect(
                result["tools"] == [
                    "check_availability", "check_verification_code", "create_booking", "finish_call",
                    "get_job_details", "send_confirmation", "send_verification_code", "update_job_status",
                ]
            )
            #expect(result["availability_is_error"] == false)
            #expect(result["availability"]?["weekday"] == "Friday")
            #expect(result["booking"]?["job_id"]?.stringValue?.hasPrefix("QM-") == true)
            #expect(result["refused_is_error"] == true)
            #expect(result["refused_text"]?.stringValue?.contains("Sundays") == true)
        }
    }
}
