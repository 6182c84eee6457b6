import CallBridge
import Foundation
import MCP
import RealtimeAPI

extension ToolDefinition {
    /// A tool as the model sees it: its schema passes through, and anything not marked read-only counts as having
    /// side effects.
    package init(mcpTool tool: Tool) {
        let schema =
            (try? JSONEncoder().encode(tool.inputSchema)).flatMap {
                try? JSONDecoder().decode(JSONValue.self, from: $0)
            }
            ?? ["type": "object", "properties": [:]]
        self.init(
            name: tool.name,
            description: tool.description ?? tool.title ?? tool.name,
            parameters: schema,
            hasSideEffects: tool.annotations.readOnlyHint != true
        )
    }
}
