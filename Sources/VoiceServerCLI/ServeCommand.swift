import ArgumentParser
import Hummingbird
import Logging
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
        // The booking system is embedded unless an external MCP server is configured.
        var bookingSystem: BookingSystem?
        if configuration.mcpServerURL == nil {
            bookingSystem = try await BookingSystem.open(configuration: configuration, logger: logger)
            logger.info(
                "Booking system ready",
                metadata: ["mcp": "/mcp", "database": "\(configuration.database.kind)"]
            )
        }
        let app = buildApplication(configuration: configuration, bookingMCP: bookingSystem?.routes, logger: logger)
        do {
            try await app.runService()
        } catch {
            await bookingSystem?.close()
            throw error
        }
        await bookingSystem?.close()
    }
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
