import ServiceLifecycle

extension MCPToolGateway: Service {
    /// Connects in the background at start, and ends the MCP session once the service group shuts down.
    package func run() async throws {
        start()
        try? await gracefulShutdown()
        await close()
    }
}
