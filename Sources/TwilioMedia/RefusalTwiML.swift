/// The TwiML that answers a call the server will not take: the caller is told the lines are busy, passed to an
/// overflow number, or rejected before the call is answered. None of them opens a media stream.
package enum RefusalTwiML: Sendable, Equatable {
    /// Says `message`, then hangs up.
    case busy(message: String)
    /// Dials `number` (E.164), another line that takes the call.
    case overflow(number: String)
    /// Rejects the call with a busy tone, unanswered: Twilio does not bill a rejected call.
    case reject
    /// Hands the call to the TwiML at `url` (another instance's webhook): Twilio `POST`s the call there.
    case redirect(url: String)

    package var xml: String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response>\n"
        switch self {
        case .busy(let message):
            xml += "  <Say>" + StreamTwiML.escaped(message) + "</Say>\n"
            xml += "  <Hangup/>\n"
        case .overflow(let number):
            xml += "  <Dial>" + StreamTwiML.escaped(number) + "</Dial>\n"
        case .reject:
            xml += #"  <Reject reason="busy"/>"# + "\n"
        case .redirect(let url):
            xml += #"  <Redirect method="POST">"# + StreamTwiML.escaped(url) + "</Redirect>\n"
        }
        xml += "</Response>\n"
        return xml
    }
}
