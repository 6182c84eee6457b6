import CallBridge
import TwilioMedia
import TwilioREST

/// Hangs up and transfers calls through Twilio's REST API.
package struct TwilioCallController: CallController {
    let client: TwilioRESTClient
    /// Where transfers go, E.164; `nil` when transfers are off.
    let transferNumber: String?
    /// Shown to the person the call is transferred to: our Twilio number.
    let callerID: String?

    package init(client: TwilioRESTClient, transferNumber: String?, callerID: String?) {
        self.client = client
        self.transferNumber = transferNumber
        self.callerID = callerID
    }

    package func hangUp(callSid: String) async throws {
        try await client.hangUp(callSid: callSid)
    }

    package func transfer(callSid: String) async throws {
        guard let transferNumber else { throw ToolError("Transfers are not set up.") }
        try await client.redirect(callSid: callSid, twiml: Self.transferTwiML(to: transferNumber, callerID: callerID))
    }

    /// Dials the transfer number; if nobody answers, the caller hears that they will be called back.
    static func transferTwiML(to number: String, callerID: String?) -> String {
        let callerIDAttribute = callerID.map { #" callerId=""# + StreamTwiML.escaped($0) + "\"" } ?? ""
        return "<Response><Dial timeout=\"30\"\(callerIDAttribute)>\(StreamTwiML.escaped(number))</Dial>"
            + "<Say>Sorry, nobody could take your call just now. We will call you back soon. Goodbye.</Say>"
            + "<Hangup/></Response>"
    }
}
