import CallBridge
import Foundation
import Logging
import MCP
import MCPClient
import RealtimeAPI
import Testing
import VoiceTesting

@Suite(.timeLimit(.minutes(1)))
struct MCPToolGatewayTests {
    static let logger = Logger(label: "mcp-client-tests")

    static func call(_ name: String, _ arguments: String, callID: String = "call_1") -> ToolCall {
        ToolCall(
            name: name,
            arguments: arguments,
            callID: callID,
            callSid: "CA" + String(repeating: "7", count: 32),
            callerNumber: "+14155552671"
        )
    }

    static func provider(
        _ server: TestToolServer,
        fallback: [ToolDefinition] = [],
        connectTimeout: Duration = .seconds(3)
    ) -> MCPToolGateway {
        var options = MCPToolGateway.Options()
        options.connectTimeout = connectTimeout
        options.reconnectDelay = (.milliseconds(20), .milliseconds(100))
        return MCPToolGateway(
            serverName: "test",
            fallbackTools: fallback,
            options: options,
            logger: logger,
            makeTransport: server.makeTransport
        )
    }

    @Test func toolsAreListedWithTheirSchemasAndSideEffects() async throws {
        let server = TestToolServer()
        let provider = Self.provider(server)
        let tools = try await provider.tools()
        #expect(tools.map(\.name) == ["lookup", "book", "refuse"])
        #expect(tools.map(\.hasSideEffects) == [false, true, true])
        #expect(tools[0].description == "Reads something.")
        #expect(tools[0].parameters["required"] == ["key"])
        #expect(tools[0].parameters["properties"]?["key"]?["type"] == "string")
        // Cached: a second call start does not list again.
        _ = try await provider.tools()
        #expect(server.servers.value.count == 1)
        await provider.close()
    }

    @Test func aSideEffectCallCarriesAnIdempotencyKeyFromTheCallAndTheFunctionCall() async throws {
        let server = TestToolServer()
        let provider = Self.provider(server)
        _ = try await provider.tools()
        #expect(
            try await provider.call(Self.call("book", #"{"what":"a move"}"#, callID: "call_9")).output == "done: book"
        )
        #expect(try await provider.call(Self.call("lookup", #"{"key":"k"}"#)).output == #"{"key":"k","value":42}"#)

        let calls = server.calls.value
        #expect(calls.count == 2)
        let book = try #require(calls.first)
        #expect(book.arguments?["what"] == "a move")
        #expect(book._meta?["idempotencyKey"]?.stringValue == "CA\(String(repeating: "7", count: 32)):call_9")
        #expect(book._meta?["callSid"]?.stringValue == "CA" + String(repeating: "7", count: 32))
        #expect(book._meta?["callerNumber"]?.stringValue == "+14155552671")
        // A read-only call needs no key.
        #expect(calls.last?._meta?["idempotencyKey"] == nil)
        #expect(calls.last?._meta?["callerNumber"]?.stringValue == "+14155552671")
        await provider.close()
    }

    @Test func aRefusalBecomesASpeakableToolError() async throws {
        let server = TestToolServer()
        let provider = Self.provider(server)
        await #expect(throws: ToolError("That date is fully booked.")) {
            try await provider.call(Self.call("refuse", "{}")).output
        }
        await provider.close()
    }

    @Test(arguments: ["not json", "[1,2]", #"{"key":"#])
    func argumentsThatAreNotAJSONObjectAreRefusedBeforeSending(arguments: String) async throws {
        let server = TestToolServer()
        let provider = Self.provider(server)
        let error = await #expect(throws: ToolError.self) {
            try await provider.call(Self.call("lookup", arguments)).output
        }
        #expect(error?.speakableMessage.contains("not a JSON object") == true)
        #expect(server.calls.value.isEmpty)
        await provider.close()
    }

    @Test func aChangedToolListIsReadAgain() async throws {
        let server = TestToolServer()
        let provider = Self.provider(server)
        #expect(try await provider.tools().count == 3)
        server.tools.withLock {
            $0.append(Tool(name: "extra", description: "New.", inputSchema: ["type": "object"]))
        }
        let mcpServer = try #require(server.servers.value.last)
        try await mcpServer.notify(ToolListChangedNotification.message())
        #expect(try await eventually { try await provider.tools().map(\.name).last == "extra" })
        await provider.close()
    }

    @Test func aLostReadOnlyCallIsTriedOnceMore() async throws {
        let server = TestToolServer()
        let provider = Self.provider(server)
        _ = try await provider.tools()
        server.lostToolCalls.withLock { $0 = 1 }
        #expect(try await provider.call(Self.call("lookup", #"{"key":"k"}"#)).output == #"{"key":"k","value":42}"#)
        #expect(server.calls.value.count == 1)
        // Twice lost: the assistant is told the system is unreachable.
        server.lostToolCalls.withLock { $0 = 2 }
        await #expect(throws: ToolError(MCPToolGateway.unreachableMessage)) {
            try await provider.call(Self.call("lookup", #"{"key":"k"}"#)).output
        }
        await provider.close()
    }

    @Test func aLostSideEffectCallIsNotRepeated() async throws {
        let server = TestToolServer()
        let provider = Self.provider(server)
        _ = try await provider.tools()
        server.lostToolCalls.withLock { $0 = 1 }
        await #expect(throws: ToolError(MCPToolGateway.unreachableMessage)) {
            try await provider.call(Self.call("book", "{}")).output
        }
        #expect(server.calls.value.isEmpty)
        #expect(server.lostToolCalls.value == 0)
        await provider.close()
    }

    @Test func aServerDownAtStartGetsTheFallbackToolsAndIsReconnectedWhenBack() async throws {
        let server = TestToolServer()
        server.reachable.withLock { $0 = false }
        let fallback = [ToolDefinition(name: "lookup", description: "Known.", parameters: [:], hasSideEffects: false)]
        let provider = Self.provider(server, fallback: fallback)
        #expect(try await provider.tools() == fallback)
        await #expect(throws: ToolError(MCPToolGateway.unreachableMessage)) {
            try await provider.call(Self.call("lookup", #"{"key":"k"}"#)).output
        }
        #expect(await provider.isConnected == false)

        server.reachable.withLock { $0 = true }
        #expect(try await eventually { await provider.isConnected })
        #expect(await provider.reconnectCount == 1)
        #expect(try await provider.tools().map(\.name) == ["lookup", "book", "refuse"])
        #expect(try await provider.call(Self.call("lookup", #"{"key":"k"}"#)).output == #"{"key":"k","value":42}"#)
        await provider.close()
    }

    @Test func withoutFallbackToolsAnUnreachableServerMeansNoTools() async throws {
        let server = TestToolServer()
        server.reachable.withLock { $0 = false }
        let provider = Self.provider(server)
        await #expect(throws: ToolError(MCPToolGateway.unreachableMessage)) { try await provider.tools() }
        await provider.close()
    }
}
