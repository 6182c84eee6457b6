import Testing
import VoiceTesting

@testable import VoiceServer

/// How a transfer is handed to Twilio.
struct TwilioCallControllerTests {
    @Test func theTransferTwiMLDialsTheNumberAndApologisesIfNobodyAnswers() throws {
        let twiml = try TwiMLElement.parse(
            TwilioCallController.transferTwiML(to: "+12125550100", callerID: "+15005550006")
        )
        #expect(twiml.name == "Response")
        #expect(twiml.children.map(\.name) == ["Dial", "Say", "Hangup"])
        #expect(twiml.child("Dial")?.text == "+12125550100")
        #expect(twiml.child("Dial")?.attributes["callerId"] == "+15005550006")
    }
}
