import ArgumentParser

@main
struct VoiceServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice-server",
        abstract: "A phone voice agent for moving companies: Twilio Media Streams bridged to OpenAI Realtime.",
        version: "0.1.0",
        subcommands: [
            ServeCommand.self, BookingMCPCommand.self, SimulateCommand.self, BenchCommand.self,
            BookingBenchCommand.self, DashboardBenchCommand.self, CheckCommand.self, HealthcheckCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}
