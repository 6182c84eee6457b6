import ArgumentParser
import Hummingbird
import Logging
import MCPClient
import ServiceLifecycle
import UnixSignals
import VoiceServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP and WebSocket server (the default command)."
    )

    @Option(name: .customLong("env-file"), help: "A .env-style file read after the environment; ignored if missing.")
    var environmentFile: String = ".env"

    func run() async throws {
        let configuration = try await VoiceServerConfiguration.load(environmentFile: environmentFile)
        bootstrapLogging(level: configuration.logLevel, toStandardError: false)
        let logger = Logger(label: "voice-server")
        // The booking system is embedded unless an external MCP server is configured; calls reach it over MCP.
        var bookingSystem: BookingSystem?
        let tools: MCPToolProvider
        if let url = configuration.mcpServerURL {
            tools = .remote(url: url, token: configuration.mcpServerToken?.value, logger: logger)
        } else {
            let embedded = try await BookingSystem.open(
                configuration: configuration,
                smsStatusCallback: configuration.publicBaseURL.map { $0.origin + "/sms/status" },
                logger: logger
            )
            logger.info(
                "Booking system ready",
                metadata: ["mcp": "/mcp", "database": "\(configuration.database.kind)"]
            )
            bookingSystem = embedded
            tools = .embedded(embedded, logger: logger)
        }
        await tools.start()
        let app = buildApplication(
            configuration: configuration,
            tools: tools,
            bookingMCP: bookingSystem?.routes,
            outbox: bookingSystem?.store,
            callRecords: bookingSystem?.store,
            logger: logger
        )
        // The text sender stops first at shutdown, then the server.
        var services: [any Service] = [app]
        if let sender = bookingSystem?.sender { services.append(sender) }
        let group = serverGroup(services, logger: logger)
        do {
            try await group.run()
        } catch {
            await tools.close()
            await bookingSystem?.close()
            throw error
        }
        await tools.close()
        await bookingSystem?.close()
    }
}

/// A server's services: SIGTERM or SIGINT shuts them down gracefully, for at most 10 s, after which they are
/// cancelled, so that a connection a client keeps open cannot hold the shutdown up for ever.
func serverGroup(_ services: [any Service], logger: Logger) -> ServiceGroup {
    var configuration = ServiceGroupConfiguration(
        services: services,
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    configuration.maximumGracefulShutdownDuration = .seconds(10)
    return ServiceGroup(configuration: configuration)
}

/// Logs to standard output, or to standard error where standard output carries a protocol (MCP over stdio).
func bootstrapLogging(level: Logger.Level, toStandardError: Bool) {
    LoggingSystem.bootstrap { label in
        var handler =
            toStandardError
            ? StreamLogHandler.standardError(label: label) : StreamLogHandler.standardOutput(label: label)
        handler.logLevel = level
        return handler
    }
}
