import CallBridge
import Foundation
import MCP

/// The MCP messages of a tool call: listing, sending with cancellation, and reading arguments and results.
extension MCPToolGateway {
    static func listAllTools(_ client: Client) async throws -> [Tool] {
        var tools: [Tool] = []
        var cursor: String?
        repeat {
            let page = try await client.listTools(cursor: cursor)
            tools += page.tools
            cursor = page.nextCursor
        } while cursor != nil && tools.count < 1000
        return tools
    }

    /// Sends `request` and waits for its result; cancelling the waiting task cancels the request on the server.
    static func send(_ request: Request<CallTool>, via client: Client) async throws -> CallTool.Result {
        let context = try await client.send(request)
        return try await withTaskCancellationHandler {
            try await context.value
        } onCancel: {
            Task { try? await client.cancelRequest(context.requestID, reason: "The tool's deadline passed.") }
        }
    }

    static func arguments(of call: ToolCall) throws -> [String: Value] {
        let text = call.arguments.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return [:] }
        do {
            return try JSONDecoder().decode([String: Value].self, from: Data(text.utf8))
        } catch {
            throw ToolError(SpokenFailure.argumentsNotAnObject(tool: call.name))
        }
    }

    /// What the model reads: the structured result as JSON when there is one, otherwise the text parts.
    static func output(of result: CallTool.Result) throws -> String {
        let text = result.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }.joined(separator: "\n")
        if result.isError == true {
            throw ToolError(text.isEmpty ? SpokenFailure.toolFailedSilently : text)
        }
        if let structured = result.structuredContent {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(structured), as: UTF8.self)
        }
        return text
    }

    /// Whether the server answered with a JSON-RPC error, as opposed to the exchange failing.
    static func isRefusal(_ error: any Error) -> Bool {
        guard let error = error as? MCPError else { return false }
        switch error {
        case .connectionClosed, .transportError: return false
        case .internalError(let detail): return detail != "Client disconnected"
        default: return true
        }
    }
}
