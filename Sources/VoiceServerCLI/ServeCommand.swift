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
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "voice-server")
        let app = buildApplication(configuration: configuration, logger: logger)
        try await app.runService()
    }
}
