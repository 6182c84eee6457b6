import CallRecords
import CallRecordsSQL
import Foundation
import HummingbirdTesting
import Logging
import Testing
import VoiceTesting

@testable import VoiceServer

/// A Realtime session that cannot serve the call ends it with the apology, not silence (issue 14, part 4).
extension CallTests {
    enum SessionFault: String, CaseIterable, CustomTestStringConvertible {
        case refusedConfiguration, unansweredConfiguration
        var testDescription: String { rawValue }
    }

    @Test(arguments: SessionFault.allCases)
    func aSessionThatRefusesOrNeverTakesItsConfigurationEndsTheCallWithTheApology(fault: SessionFault) async throws {
        var options = FakeRealtimeServer.Options()
        options.sessionUpdateAnswer =
            fault == .refusedConfiguration ? .reject(code: "invalid_value") : .ignore
        let logs = LogRecorder()
        try await FakeRealtimeServer.run(options: options) { realtime in
            var environment = TestValues.environment
            environment["OPENAI_REALTIME_URL"] = realtime.url.absoluteString
            environment["OPENAI_API_KEY"] = options.apiKey
            try await withVoiceServer(.live, environment: environment, logs: logs) { client, server in
                let started = ContinuousClock.now
                let report = try await Self.caller(client, callSid: Self.callSid).call([
                    .waitForServerToEndCall(timeout: .seconds(8))
                ])
                let took = ContinuousClock.now - started
                // The stream is closed by the server (Twilio then plays the TwiML apology), within 6 s, silently.
                #expect(report.serverClosedFirst)
                #expect(report.playedMilliseconds == 0)
                #expect(took < .seconds(6), "the call ended after \(took)")
                if fault == .refusedConfiguration { #expect(took < .seconds(2)) }
                #expect(realtime.observations.responseCreates.isEmpty)
                var record: CallRecord?
                _ = try await eventually {
                    record = try await server.callRecords.callRecord(callSid: Self.callSid)
                    return record?.outcome != nil
                }
                #expect(record?.outcome == .failed)
                let errors = logs.entries.filter {
                    $0.level == .error && $0.message.hasPrefix("Realtime session cannot serve the call")
                }
                #expect(errors.count == 1)
            }
        }
    }
}
