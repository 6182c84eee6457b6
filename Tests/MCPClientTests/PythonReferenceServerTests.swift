import CallBridge
import Foundation
import Logging
import MCP
import MCPClient
import RealtimeAPI
import Testing
import VoiceTesting

/// Our client against the official Python MCP SDK's server (`Tests/Interop/mcp_reference_server.py`), once
/// answering with JSON bodies and once with event streams. `.ci/run` installs the SDK and sets `MCP_INTEROP_PYTHON`.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct PythonReferenceServerTests {
    static let logger = Logger(label: "python-interop")

    static var python: String? {
        guard let python = ProcessInfo.processInfo.environment["MCP_INTEROP_PYTHON"] else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("MCP_INTEROP_PYTHON is not set under CI: interoperability was not tested")
            } else {
                print("Skipped the Python MCP interoperability test: set MCP_INTEROP_PYTHON to a python with `mcp`")
            }
            return nil
        }
        return python
    }

    static func call(_ name: String, _ arguments: String) -> ToolCall {
        ToolCall(name: name, arguments: arguments, callID: "call_1", callSid: "CA1", callerNumber: nil)
    }

    @Test(arguments: ["json", "sse"])
    func toolsAreListedAndCalledThroughOurClient(mode: String) async throws {
        guard let python = Self.python else { return }
        try await ReferenceServerProcess.run(python: python, mode: mode) { url in
            let provider = MCPToolGateway(serverName: "reference", logger: Self.logger) {
                StreamableHTTPClientTransport(endpoint: url, bearerToken: nil, logger: Self.logger)
            }
            let tools = try await provider.tools()
            let byName = Dictionary(uniqueKeysWithValues: tools.map { ($0.name, $0) })
            #expect(Set(byName.keys) == ["add", "note", "refuse", "register_extra_tool"])
            #expect(byName["add"]?.hasSideEffects == false)
            #expect(byName["note"]?.hasSideEffects == true)
            #expect(byName["add"]?.parameters["properties"]?["a"]?["type"] == "integer")

            #expect(try await provider.call(Self.call("add", #"{"a":2,"b":3}"#)).output == #"{"result":5}"#)
            #expect(try await provider.call(Self.call("note", #"{"text":"piano"}"#)).output.contains("noted: piano"))
            let refusal = await #expect(throws: ToolError.self) {
                try await provider.call(Self.call("refuse", #"{"reason":"no trucks that day"}"#)).output
            }
            #expect(refusal?.speakableMessage.contains("no trucks that day") == true, "\(String(describing: refusal))")

            if mode == "sse" {
                // The notification arrives on the request's event stream; the list is read again.
                #expect(try await provider.call(Self.call("register_extra_tool", "{}")).output.contains("registered"))
                #expect(try await eventually { try await provider.tools().contains { $0.name == "extra" } })
            }
            await provider.close()
        }
    }

    /// The transport ends its session with `DELETE`: the session id is gone from the server afterwards.
    @Test func disconnectingEndsTheSession() async throws {
        guard let python = Self.python else { return }
        try await ReferenceServerProcess.run(python: python, mode: "sse") { url in
            let transport = StreamableHTTPClientTransport(endpoint: url, bearerToken: nil, logger: Self.logger)
            let client = Client(name: "test", version: "1")
            try await client.connect(transport: transport)
            #expect(try await client.listTools().tools.count == 4)
            let sessionID = try #require(await transport.currentSessionID)
            await client.disconnect()

            // A request in the ended session is refused with 404.
            let status = try await ReferenceServerProcess.statusOfPOST(
                to: url,
                headers: [
                    ("Accept", "application/json, text/event-stream"), ("Content-Type", "application/json"),
                    ("Mcp-Session-Id", sessionID), ("MCP-Protocol-Version", "2025-06-18"),
                ],
                body: #"{"jsonrpc":"2.0","id":9,"method":"tools/list"}"#
            )
            #expect(status == 404)
        }
    }
}
