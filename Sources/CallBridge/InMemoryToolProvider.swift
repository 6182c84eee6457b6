/// Tools defined in code: each definition with a closure that answers it. Used by tests, and by the server
/// until a booking system is connected.
package struct InMemoryToolProvider: ToolProvider {
    package typealias Handler = @Sendable (ToolCall) async throws -> String

    private let definitions: [ToolDefinition]
    private let handlers: [String: Handler]

    package init(_ tools: [(definition: ToolDefinition, handler: Handler)] = []) {
        self.definitions = tools.map(\.definition)
        self.handlers = Dictionary(tools.map { ($0.definition.name, $0.handler) }) { first, _ in first }
    }

    package func tools() async throws -> [ToolDefinition] {
        definitions
    }

    /// The handler's text, with no effects: tools defined in code book nothing.
    package func call(_ call: ToolCall) async throws -> ToolResult {
        guard let handler = handlers[call.name] else {
            throw ToolError(SpokenFailure.noSuchTool(call.name))
        }
        return ToolResult(try await handler(call))
    }
}
