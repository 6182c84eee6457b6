import ArgumentParser
import BookingServer
import Hummingbird
import Logging
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
        bootstrapLogging(level: configuration.booking.logLevel, toStandardError: false)
        let logger = Logger(label: "voice-server")
        let server = try await VoiceApplication.build(configuration: configuration, logger: logger)
        // SIGTERM and SIGINT drain the calls first (DRAIN_SECONDS), then stop the server.
        try await server.serviceGroup(logger: logger).run()
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
