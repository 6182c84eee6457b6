/// Connecting and listing tools took longer than allowed.
package struct MCPConnectTimeout: Error, CustomStringConvertible {
    package var timeout: Duration
    package var description: String { "no answer from the MCP server within \(timeout)" }
}
