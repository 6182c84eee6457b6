/// Why a Streamable HTTP exchange with an MCP server failed.
package enum StreamableHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The transport was used before `connect()` or after `disconnect()`.
    case notConnected
    /// `404` for our `Mcp-Session-Id`: the server forgot the session; initialize again.
    case sessionExpired
    /// `401` or `403`: the bearer token is missing or wrong.
    case unauthorized(status: Int)
    /// Any other status that is not a success, with the start of the body.
    case unexpectedStatus(Int, body: String)
    /// A success whose body is neither JSON nor an event stream.
    case unexpectedContentType(String)
    /// The answer to a request ended without the response to it.
    case noResponse

    package var description: String {
        switch self {
        case .notConnected: "the MCP transport is not connected"
        case .sessionExpired: "the MCP server no longer knows this session (404)"
        case .unauthorized(let status): "the MCP server refused the token (\(status)); check MCP_SERVER_TOKEN"
        case .unexpectedStatus(let status, let body): "the MCP server answered \(status): \(body)"
        case .unexpectedContentType(let type): "the MCP server answered with content type \(type)"
        case .noResponse: "the MCP server's answer ended without a response to the request"
        }
    }
}
