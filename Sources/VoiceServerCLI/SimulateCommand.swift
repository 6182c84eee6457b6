import ArgumentParser
import Logging
import VoiceSimulation

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Place one whole booking call offline, with no keys: prints the transcript, the tool calls, the "
            + "booking and the text, and exits non-zero unless the move was booked and confirmed."
    )

    @Option(
        help: "A DATABASE_URL for the booking system (SQLite path or postgres://); default a temporary SQLite file."
    )
    var database: String?

    @Option(name: .customLong("log-level"), help: "The server's log level, on standard error.")
    var logLevel: String = "warning"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level takes trace, debug, info, notice, warning, error or critical")
        }
        bootstrapLogging(level: level, toStandardError: true)
        print("Simulating a call: a caller books a move by voice (about 30 seconds, in real time)…\n")
        let report = try await CallSimulation(databaseURL: database, logger: Logger(label: "simulate")).run()
        print(report.rendered())
        if !report.succeeded { throw ExitCode.failure }
    }
}
