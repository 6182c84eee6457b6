import Booking
import BookingServer
import CallRecords
import CallRecordsSQL
import Foundation
import Logging
import ServerConfiguration
import VoiceServer
import VoiceTesting

/// One whole call, offline (`voice-server simulate`): the real server on loopback with its embedded booking
/// system, the fake Realtime service playing ``BookingConversation``, the fake Twilio REST API taking the text,
/// and a simulated Twilio caller saying recorded lines. Nothing needs a key or the network.
package struct CallSimulation: Sendable {
    static let accountSid = "AC" + String(repeating: "5", count: 32)
    static let authToken = "simulated-twilio-auth-token-0000"
    static let publicBaseURL = "https://voice.simulated-movers.example"
    static let callSid = "CA" + String(repeating: "5", count: 32)
    static let callerNumber = "+14155552671"
    static let businessNumber = "+15005550006"

    /// A `DATABASE_URL` (SQLite path or `postgres://`); `nil` uses a temporary SQLite file, removed afterwards.
    package var databaseURL: String?
    package var logger: Logger

    package init(databaseURL: String?, logger: Logger) {
        self.databaseURL = databaseURL
        self.logger = logger
    }

    package func run() async throws -> SimulationReport {
        let temporaryPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("voice-server-simulate-\(UUID().uuidString).sqlite").path
        defer {
            if databaseURL == nil {
                for suffix in ["", "-wal", "-shm"] {
                    try? FileManager.default.removeItem(atPath: temporaryPath + suffix)
                }
            }
        }
        return try await FakeTwilioREST.run(accountSid: Self.accountSid, authToken: Self.authToken, logger: logger) {
            twilio in
            var configuration = try await VoiceServerConfiguration.load(
                environment: [
                    "HOST": "127.0.0.1", "PORT": "0", "ADMIN_PORT": "0", "PUBLIC_BASE_URL": Self.publicBaseURL,
                    "TWILIO_ACCOUNT_SID": Self.accountSid, "TWILIO_AUTH_TOKEN": Self.authToken,
                    "TWILIO_PHONE_NUMBER": Self.businessNumber, "TWILIO_API_BASE_URL": twilio.baseURL.absoluteString,
                    "DATABASE_URL": databaseURL ?? temporaryPath,
                ],
                environmentFile: nil
            )
            let policy = configuration.booking.policy
            let conversation = try BookingConversation(
                date: BookingConversation.moveDate(policy: policy, today: CalendarDate(Date(), in: policy.timeZone))
            )
            var realtimeOptions = FakeRealtimeServer.Options()
            realtimeOptions.script = conversation.script
            return try await FakeRealtimeServer.run(options: realtimeOptions, logger: logger) { realtime in
                configuration.openAIRealtimeURL = realtime.url
                configuration.openAIAPIKey = Secret(realtimeOptions.apiKey)
                let report = try await call(conversation, configuration: configuration)
                return SimulationReport(
                    caller: report.caller,
                    record: report.record,
                    job: report.job,
                    texts: twilio.messages.map { SimulationReport.Text(to: $0.to, body: $0.body) },
                    realtimeViolations: realtime.observations.violations
                )
            }
        }
    }

    /// Runs the server for the length of one call, and reads back what the call left behind.
    private func call(
        _ conversation: BookingConversation,
        configuration: VoiceServerConfiguration
    ) async throws -> (caller: CallerReport, record: CallRecord?, job: Job?) {
        var built: VoiceApplication?
        return try await LoopbackServer.run(logger: logger) { onServerRunning in
            var overrides = VoiceApplication.Overrides()
            overrides.onServerRunning = onServerRunning
            let server = try await VoiceApplication.build(
                configuration: configuration,
                overrides: overrides,
                logger: logger
            )
            built = server
            return server.application
        } _: { port in
            guard let server = built else { throw CancellationError() }
            var callerConfiguration = SimulatedCaller.Configuration(
                serverURL: "http://127.0.0.1:\(port)",
                publicBaseURL: Self.publicBaseURL,
                authToken: Self.authToken
            )
            callerConfiguration.accountSid = Self.accountSid
            callerConfiguration.callSid = Self.callSid
            callerConfiguration.from = Self.callerNumber
            callerConfiguration.to = Self.businessNumber
            let caller = try await SimulatedCaller(configuration: callerConfiguration, logger: logger)
                .call(conversation.callerSteps)
            // The session writes how the call ended just after it closes the stream.
            var record: CallRecord?
            _ = try await eventually {
                record = try await server.callRecords.callRecord(callSid: Self.callSid)
                return record?.outcome != nil
            }
            var job: Job?
            if let jobID = record?.jobID { job = try await server.bookingSystem?.service.job(id: jobID) }
            return (caller, record, job)
        }
    }
}
