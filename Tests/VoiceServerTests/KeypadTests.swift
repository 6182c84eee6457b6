import CallRecords
import Foundation
import Testing
import VoiceTesting

@testable import VoiceServer

/// The keypad (issue 14, part 5): `0` transfers to `TRANSFER_NUMBER`; other keys are told to the assistant.
extension CallTests {
    @Test func zeroTransfersToAPersonAndOtherKeysAreToldToTheAssistant() async throws {
        let script = FakeRealtimeScript(
            responses: [.speech("NYC Quick Movers, how can I help?", milliseconds: 300)],
            fallback: .speech("You pressed a key.", milliseconds: 300)
        )
        let environment = ["TRANSFER_NUMBER": "+12125550100", "TWILIO_PHONE_NUMBER": "+15005550006"]
        try await Self.withBookingCall(script: script, environment: environment) { call in
            let report = try await Self.caller(call.client, callSid: Self.callSid).call([
                .waitForPlayedAudio(milliseconds: 300), .pressKey("5"), .waitForPlayedAudio(milliseconds: 600),
                .pressKey("0"), .waitForServerToEndCall(timeout: .seconds(10)),
            ])
            // The 5 reached the model as a note, and it answered.
            #expect(call.realtime.observations.userTexts.contains { $0.contains("pressed 5") })
            #expect(report.playedMilliseconds >= 600)
            // The 0 transferred the call through Twilio's REST API, to the transfer number.
            let update = try #require(call.twilio.requests.first)
            #expect(call.twilio.requests.count == 1)
            #expect(update.resource == "Calls/\(Self.callSid).json")
            let twiml = try TwiMLElement.parse(try #require(update.form["Twiml"]))
            #expect(twiml.child("Dial")?.text == "+12125550100")
            #expect(report.serverClosedFirst)
            let record = try await Self.finishedRecord(call)
            #expect(record.outcome == .transferred)
        }
    }

    @Test func withoutATransferNumberZeroIsJustAKey() async throws {
        let script = FakeRealtimeScript(
            responses: [.speech("NYC Quick Movers, how can I help?", milliseconds: 300)],
            fallback: .speech("You pressed a key.", milliseconds: 300)
        )
        try await Self.withBookingCall(script: script) { call in
            _ = try await Self.caller(call.client, callSid: Self.callSid).call([
                .waitForPlayedAudio(milliseconds: 300), .pressKey("0"), .waitForPlayedAudio(milliseconds: 600), .hangUp,
            ])
            #expect(call.realtime.observations.userTexts.contains { $0.contains("pressed 0") })
            #expect(call.twilio.requests.isEmpty)
        }
    }
}
