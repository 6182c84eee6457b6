/// The TwiML that answers an incoming call: connect a bidirectional Media Stream, and apologise if it ends badly.
///
/// Twilio runs the verbs after `</Connect>` when the stream closes without the call being ended or redirected
/// through the REST API (`../shared/protocols/twilio.md` §1.3). A normal goodbye ends the call through REST, so
/// the apology only plays when the stream failed (for example when the Realtime service was unreachable).
package struct StreamTwiML: Sendable, Equatable {
    /// `wss://` URL of the media stream, with no query string (Twilio forbids one).
    package var streamURL: String
    /// Delivered to the stream's `start` message as `customParameters`. Name and value under 500 characters each.
    package var parameters: [(name: String, value: String)]
    /// Spoken if the stream ends abnormally.
    package var apology: String

    package init(streamURL: String, parameters: [(name: String, value: String)], apology: String) {
        self.streamURL = streamURL
        self.parameters = parameters
        self.apology = apology
    }

    package static func == (lhs: StreamTwiML, rhs: StreamTwiML) -> Bool {
        lhs.streamURL == rhs.streamURL && lhs.apology == rhs.apology
            && lhs.parameters.elementsEqual(rhs.parameters) { $0.name == $1.name && $0.value == $1.value }
    }

    package var xml: String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response>\n"
        xml += "  <Connect>\n"
        xml += #"    <Stream url=""# + Self.escaped(streamURL) + "\">\n"
        for parameter in parameters {
            xml += #"      <Parameter name=""# + Self.escaped(parameter.name)
            xml += #"" value=""# + Self.escaped(parameter.value) + "\"/>\n"
        }
        xml += "    </Stream>\n"
        xml += "  </Connect>\n"
        xml += "  <Say>" + Self.escaped(apology) + "</Say>\n"
        xml += "  <Hangup/>\n"
        xml += "</Response>\n"
        return xml
    }

    /// Escapes the five XML special characters, for text and attribute values alike.
    package static func escaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
