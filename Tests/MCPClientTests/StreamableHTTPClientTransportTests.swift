import CallBridge
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import MCP
import MCPClient
import NIOCore
import RealtimeAPI
import Testing
import VoiceTesting

/// The transport against a hand-written Streamable HTTP server that can misbehave: answers split into priming and
/// message events, a session the server forgets, an event stream that ends before the response.
@Suite(.timeLimit(.minutes(1)))
struct StreamableHTTPClientTransportTests {
    enum ToolCallAnswer: Sendable {
        /// An event stream: a priming event without data, then the result.
        case eventStream
        /// `404` for the first session: the server restarted and forgot it.
        case forgetFirstSession
        /// An event stream that ends after the priming event, without the response.
        case endEarly
    }

    struct Seen: Sendable {
        var methods: [String] = []
        var sessions: [String?] = []
        var deletes: [String] = []
        var protocolVersions: [String?] = []
    }

    static let logger = Logger(label: "transport-tests")

    static func withServer(
        answering answer: ToolCallAnswer,
        _ body: @Sendable (URL, FakeRecorder<Seen>) async throws -> Void
    ) async throws {
        let seen = FakeRecorder(Seen())
        let sessionCount = FakeRecorder(0)
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.post("mcp") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let message = try JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))
            let method = message["method"]?.stringValue ?? "response"
            let session = request.headers[HTTPField.Name("Mcp-Session-Id")!]
            seen.withLock {
                $0.methods.append(method)
                $0.sessions.append(session)
                $0.protocolVersions.append(request.headers[HTTPField.Name("MCP-Protocol-Version")!])
            }
            let id = message["id"].map { String(decoding: try! JSONEncoder().encode($0), as: UTF8.self) } ?? "null"
            switch method {
            case "initialize":
                let number = sessionCount.withLock { count -> Int in
                    count += 1
                    return count
                }
                return Self.json(
                    #"{"jsonrpc":"2.0","id":\#(id),"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"scripted","version":"1"}}}"#,
                    session: "session-\(number)"
                )
            case "tools/list":
                return Self.json(
                    #"{"jsonrpc":"2.0","id":\#(id),"result":{"tools":[{"name":"lookup","inputSchema":{"type":"object"},"annotations":{"readOnlyHint":true}}]}}"#
                )
            case "tools/call":
                let result = #"{"jsonrpc":"2.0","id":\#(id),"result":{"content":[{"type":"text","text":"found"}]}}"#
                switch answer {
                case .eventStream:
                    return Self.eventStream("id: e1\ndata:\n\nevent: message\nid: e2\ndata: \(result)\n\n")
                case .forgetFirstSession where session == "session-1":
                    return Response(status: .notFound)
                case .forgetFirstSession:
                    return Self.json(result)
                case .endEarly:
                    return Self.eventStream("id: e1\ndata:\n\n")
                }
            default:
                return Response(status: .accepted)
            }
        }
        router.get("mcp") { _, _ in Response(status: .methodNotAllowed) }
        router.delete("mcp") { request, _ -> Response in
            seen.withLock { $0.deletes.append(request.headers[HTTPField.Name("Mcp-Session-Id")!] ?? "") }
            return Response(status: .ok)
        }
        try await LoopbackServer.run(router: router, webSockets: false, logger: logger) { port in
            try await body(URL(string: "http://127.0.0.1:\(port)/mcp")!, seen)
        }
    }

    static func json(_ text: String, session: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let session { headers[HTTPField.Name("Mcp-Session-Id")!] = session }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func eventStream(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func provider(_ url: URL) -> MCPToolGateway {
        MCPToolGateway(serverName: "scripted", logger: logger) {
            StreamableHTTPClientTransport(endpoint: url, bearerToken: nil, logger: logger)
        }
    }

    static let lookup = ToolCall(name: "lookup", arguments: "{}", callID: "c1", callSid: "CA1", callerNumber: nil)

    @Test func theSessionAndProtocolVersionGoOnEveryRequestAndDeleteEndsIt() async throws {
        try await Self.withServer(answering: .eventStream) { url, seen in
            let provider = Self.provider(url)
            let output = try await provider.call(Self.lookup).output
            #expect(output == "found")
            await provider.close()
            let requests = seen.value
            #expect(requests.methods == ["initialize", "notifications/initialized", "tools/list", "tools/call"])
            #expect(requests.sessions == [nil, "session-1", "session-1", "session-1"])
            #expect(requests.protocolVersions == [nil, "2025-06-18", "2025-06-18", "2025-06-18"])
            #expect(requests.deletes == ["session-1"])
        }
    }

    @Test func aForgottenSessionIsStartedAgainAndTheRequestRepeated() async throws {
        try await Self.withServer(answering: .forgetFirstSession) { url, seen in
            let provider = Self.provider(url)
            let output = try await provider.call(Self.lookup).output
            #expect(output == "found")
            await provider.close()
            let requests = seen.value
            #expect(requests.methods.filter { $0 == "initialize" }.count == 2)
            #expect(requests.methods.filter { $0 == "tools/call" }.count == 2)
            #expect(requests.sessions.last == "session-2")
        }
    }

    @Test func anEventStreamThatEndsWithoutTheResponseFailsTheRequestAtOnce() async throws {
        try await Self.withServer(answering: .endEarly) { url, _ in
            let transport = StreamableHTTPClientTransport(endpoint: url, bearerToken: nil, logger: Self.logger)
            let client = Client(name: "test", version: "1")
            try await client.connect(transport: transport)
            let started = ContinuousClock.now
            await #expect(throws: StreamableHTTPError.noResponse) {
                _ = try await client.callTool(name: "lookup", arguments: [:])
            }
            #expect(ContinuousClock.now - started < .seconds(5))
            await client.disconnect()

            // Through the provider: tried twice (read-only), then the assistant hears the system is unreachable.
            let provider = Self.provider(url)
            await #expect(throws: ToolError(MCPToolGateway.unreachableMessage)) {
                try await provider.call(Self.lookup).output
            }
            await provider.close()
        }
    }
}
