import BookingMCP
import BookingServer
import CallBridge
import Foundation
import Logging
import MCP
import MCPClient

extension MCPToolGateway {
    /// The booking tools of an MCP server elsewhere (`MCP_SERVER_URL`), over Streamable HTTP. Until the server is
    /// first reached, calls are offered our booking tools, whose calls then say the system is unreachable. Each
    /// connection sends the token `token` gives when it opens (`MCP_SERVER_TOKEN`, reloaded on `SIGHUP`).
    package static func remote(
        url: URL,
        token: @escaping @Sendable () -> String?,
        logger: Logger
    ) -> MCPToolGateway {
        var shownURL = URLComponents(url: url, resolvingAgainstBaseURL: false)
        shownURL?.user = nil
        shownURL?.password = nil
        shownURL?.query = nil
        return MCPToolGateway(
            serverName: shownURL?.string ?? "remote",
            fallbackTools: BookingToolDefinitions.all.map(ToolDefinition.init(mcpTool:)),
            effects: bookingEffects,
            callEndTool: BookingToolDefinitions.finishCall,
            logger: logger
        ) {
            StreamableHTTPClientTransport(endpoint: url, bearerToken: token(), logger: logger)
        }
    }

    /// The booking system embedded in this process, reached through an in-memory MCP connection: the same
    /// protocol as a remote server, without a network hop or a token.
    package static func embedded(_ bookingSystem: BookingSystem, logger: Logger) -> MCPToolGateway {
        MCPToolGateway(
            serverName: "embedded",
            effects: bookingEffects,
            callEndTool: BookingToolDefinitions.finishCall,
            logger: logger
        ) {
            try await bookingSystem.inMemoryTransport()
        }
    }

    /// The booking server's result data, as effects: `_meta.bookedJobId` on a booking.
    static let bookingEffects: EffectReader = { _, result in
        guard let jobID = result._meta?[BookingResultMeta.bookedJobID]?.stringValue else { return [] }
        return [.bookedJob(id: jobID)]
    }
}
