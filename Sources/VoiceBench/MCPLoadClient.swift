import AsyncHTTPClient
import Foundation
import MCPClient
import NIOCore
import NIOHTTP1
import RealtimeAPI

/// One MCP client session over Streamable HTTP, minimal and fast enough to load a server: initialize once, then
/// `tools/call` in a loop. Reads JSON or SSE answers.
struct MCPLoadClient: Sendable {
    let url: String
    let token: String?
    let client: HTTPClient

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func initialize() async throws -> String {
        let (session, _) = try await post(
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"voice-bench","version":"1"}}}"#,
            session: nil
        )
        guard let session else { throw Failure(description: "no Mcp-Session-Id in the initialize answer") }
        _ = try await post(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, session: session)
        return session
    }

    /// Calls a tool; returns whether the tool answered without `isError`.
    func callTool(_ name: String, arguments: JSONValue, id: Int, session: String) async throws -> Bool {
        let request: JSONValue = [
            "jsonrpc": "2.0", "id": .number(Double(id)), "method": "tools/call",
            "params": ["name": .string(name), "arguments": arguments],
        ]
        let body = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        let (_, answer) = try await post(body, session: session)
        guard let answer, let result = answer["result"] else {
            throw Failure(description: "tools/call answered without a result")
        }
        return result["isError"] != .bool(true)
    }

    private func post(_ body: String, session: String?) async throws -> (session: String?, message: JSONValue?) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let session {
            request.headers.add(name: "Mcp-Session-Id", value: session)
            request.headers.add(name: "MCP-Protocol-Version", value: "2025-06-18")
        }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 22)
        guard (200..<300).contains(response.status.code) else {
            throw Failure(description: "HTTP \(response.status.code)")
        }
        let text = String(buffer: data)
        let json =
            response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true
            ? ServerSentEventParser.messages(in: text.utf8).last
            : (text.isEmpty ? nil : text)
        let message = try json.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        return (response.headers.first(name: "Mcp-Session-Id"), message)
    }
}
