import ArgumentParser
import BookingServer
import Logging
import ServiceLifecycle

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
        let configuration = try await BookingServerConfiguration.load(environmentFile: environmentFile)
        bootstrapLogging(level: configuration.logLevel, toStandardError: true)
        let logger = Logger(label: "booking-mcp")
        if stdio {
            try await BookingServer.runOverStandardIO(configuration: configuration, logger: logger)
        } else {
            let server = try await BookingServer.build(
                configuration: configuration,
                host: host,
                port: port,
                logger: logger
            )
            try await serverGroup([server.application], logger: logger).run()
        }
    }
}
