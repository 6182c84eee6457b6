import ArgumentParser
import BookingMCP
import Hummingbird
import Logging
import MCP
import ServiceLifecycle
import UnixSignals
import VoiceServer

struct BookingMCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "booking-mcp",
        abstract: "Run the booking system alone, as an MCP server over Streamable HTTP (--port) or stdio (--stdio)."
    )

    @Option(help: "Port for Streamable HTTP at /mcp.")
    var port: Int = 8081

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Flag(help: "Speak MCP over standard input and output (for desktop MCP clients); logs go to standard error.")
    var stdio = false

    @Option(name: .customLong("env-file"), help: "A .env-style file read after the environment; ignored if missing.")
    var environmentFile: String = ".env"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
    }

    func run() async throws {
        let configuration = try await VoiceServerConfiguration.load(environmentFile: environmentFile)
        bootstrapLogging(level: configuration.logLevel, toStandardError: true)
        let logger = Logger(label: "booking-mcp")
        let system = try await BookingSystem.open(configuration: configuration, logger: logger)
        do {
            if stdio {
                let server = await BookingMCPEndpoint.makeServer(toolbox: system.endpoint.toolbox)
                try await server.start(transport: StdioTransport(logger: logger))
                await server.waitUntilCompleted()
            } else {
                let app = buildBookingMCPApplication(routes: system.routes, host: host, port: port, logger: logger)
                let group = serverGroup([app, system.sender], logger: logger)
                try await group.run()
            }
        } catch {
            await system.close()
            throw error
        }
        await system.close()
    }
}
