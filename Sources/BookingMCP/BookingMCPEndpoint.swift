import Foundation
import Logging
import MCP
import ServiceLifecycle

/// The booking MCP server over Streamable HTTP: one MCP `Server` and stateful transport per client session
/// (`Mcp-Session-Id`), so concurrent clients never see each other's JSON-RPC ids. Idle sessions are closed after
/// ``idleTimeout``; beyond ``maximumSessions`` the least recently used one is closed.
package actor BookingMCPEndpoint {
    private struct Session {
        var server: Server
        var transport: StatefulHTTPServerTransport
        var lastUsed: ContinuousClock.Instant
    }

    package let toolbox: BookingToolbox
    package let idleTimeout: Duration
    package let maximumSessions: Int
    private let logger: Logger
    private var sessions: [String: Session] = [:]

    package init(
        toolbox: BookingToolbox,
        logger: Logger,
        idleTimeout: Duration = .seconds(30 * 60),
        maximumSessions: Int = 1000
    ) {
        self.toolbox = toolbox
        self.logger = logger
        self.idleTimeout = idleTimeout
        self.maximumSessions = maximumSessions
    }

    package var sessionCount: Int { sessions.count }

    /// An MCP server with the booking tools, not yet started.
    package static func makeServer(toolbox: BookingToolbox) async -> Server {
        let server = Server(
            name: "booking",
            version: "0.1.0",
            title: "Moving company booking system",
            instructions: "Check availability before offering dates; read back the resolved date and the job number.",
            capabilities: .init(tools: .init(listChanged: false))
        )
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: toolbox.tools)
        }
        await server.withMethodHandler(CallTool.self) { parameters in
            await toolbox.call(parameters)
        }
        return server
    }

    package func handle(_ request: MCP.HTTPRequest) async -> MCP.HTTPResponse {
        let sessionID = request.header(HTTPHeaderName.sessionID)
        if let sessionID, var session = sessions[sessionID] {
            session.lastUsed = .now
            sessions[sessionID] = session
            let response = await session.transport.handleRequest(request)
            if request.method.uppercased() == "DELETE", response.statusCode == 200 {
                sessions[sessionID] = nil
                await session.server.stop()
            }
            return response
        }
        if request.method.uppercased() == "POST", let body = request.body, Self.isInitializeRequest(body) {
            return await startSession(with: request)
        }
        if sessionID != nil {
            // Unknown or expired: the client must initialize again.
            return .error(statusCode: 404, .invalidRequest("Not Found: Session not found or expired"))
        }
        return .error(statusCode: 400, .invalidRequest("Bad Request: Missing \(HTTPHeaderName.sessionID) header"))
    }

    private struct MethodProbe: Decodable {
        var method: String?
    }

    private static func isInitializeRequest(_ body: Data) -> Bool {
        (try? JSONDecoder().decode(MethodProbe.self, from: body))?.method == "initialize"
    }

    package func closeAll() async {
        for (id, session) in sessions {
            sessions[id] = nil
            await session.server.stop()
            await session.transport.disconnect()
        }
    }

    private struct FixedSessionID: SessionIDGenerator {
        let id: String
        func generateSessionID() -> String { id }
    }

    private func startSession(with request: MCP.HTTPRequest) async -> MCP.HTTPResponse {
        await closeIdleSessions()
        let id = UUID().uuidString
        let transport = StatefulHTTPServerTransport(sessionIDGenerator: FixedSessionID(id: id), logger: logger)
        let server = await Self.makeServer(toolbox: toolbox)
        do {
            try await server.start(transport: transport)
        } catch {
            await transport.disconnect()
            return .error(statusCode: 500, .internalError("Failed to start the session"))
        }
        sessions[id] = Session(server: server, transport: transport, lastUsed: .now)
        let response = await transport.handleRequest(request)
        if case .error = response {
            sessions[id] = nil
            await server.stop()
        }
        return response
    }

    private func closeIdleSessions() async {
        let now = ContinuousClock.now
        var expired = sessions.filter { now - $0.value.lastUsed > idleTimeout }.map(\.key)
        if sessions.count - expired.count >= maximumSessions {
            let oldest = sessions.filter { !expired.contains($0.key) }.sorted { $0.value.lastUsed < $1.value.lastUsed }
            expired += oldest.prefix(sessions.count - expired.count - maximumSessions + 1).map(\.key)
        }
        for id in expired {
            guard let session = sessions.removeValue(forKey: id) else { continue }
            await session.server.stop()
            await session.transport.disconnect()
        }
        if !expired.isEmpty {
            logger.debug("Closed idle MCP sessions", metadata: ["count": "\(expired.count)"])
        }
    }
}

extension BookingMCPEndpoint: Service {
    /// Keeps the sessions until the service group shuts down, then closes every one of them.
    package func run() async throws {
        try? await gracefulShutdown()
        await closeAll()
    }
}
