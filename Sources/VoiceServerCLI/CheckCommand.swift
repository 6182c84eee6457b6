import ArgumentParser
import Foundation
import Logging
import VoiceServer

/// `voice-server check`: run it first on a new deployment.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the configuration as start-up does, then say what is ready and what is missing, one line "
            + "each; exit status 1 if a call could not be served."
    )

    @Option(name: .customLong("env-file"), help: "A .env-style file read after the environment; ignored if missing.")
    var environmentFile: String = ".env"

    func run() async throws {
        bootstrapLogging(level: .error, toStandardError: true)
        let configuration: VoiceServerConfiguration
        do {
            configuration = try await VoiceServerConfiguration.load(environmentFile: environmentFile)
        } catch {
            print("failing  configuration: \(error)")
            throw ExitCode(1)
        }
        let check = await DeploymentCheck.run(configuration, logger: Logger(label: "check"))
        for line in check.lines {
            print(
                line.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                    + " \(line.subject): \(line.detail)"
            )
        }
        print(check.canServeCalls ? "Ready to take calls." : "Not ready: a call could not be served (see failing).")
        if !check.canServeCalls { throw ExitCode(1) }
    }
}

/// `voice-server healthcheck`: for a container's health check, with nothing but the binary. Asks the running
/// server's readiness route on this machine.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract:
            "Ask the server running on this machine whether it is ready (GET /health/ready); exit status 0 if it is."
    )

    @Option(help: "The server's port; default PORT from the environment, else 8080.")
    var port: Int = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 8080

    func run() async throws {
        guard let ready = await ReadinessProbe.isReady(port: port, timeout: .seconds(3)) else {
            print("not answering on port \(port)")
            throw ExitCode(1)
        }
        print(ready ? "ready" : "not ready (draining)")
        if !ready { throw ExitCode(1) }
    }
}
