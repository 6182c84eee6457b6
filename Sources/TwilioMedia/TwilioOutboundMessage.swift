/// A message the server sends on a bidirectional Media Stream (`../shared/protocols/twilio.md` §3.2).
///
/// Twilio accepts these three events with exactly these fields; anything else is warning 31951.
package enum TwilioOutboundMessage: Sendable, Equatable {
    /// Base64 of raw G.711 µ-law, 8 kHz mono, with no file header.
    case media(streamSid: String, payload: String)
    /// Echoed back by Twilio once all audio queued before it has played (or been cleared).
    case mark(streamSid: String, name: String)
    /// Drops all queued audio; Twilio then returns every pending mark.
    case clear(streamSid: String)

    /// The JSON text frame. Written by hand: it runs once per relayed audio frame.
    package var jsonText: String {
        switch self {
        case .media(let streamSid, let payload):
            #"{"event":"media","streamSid":"# + Self.quoted(streamSid) + #","media":{"payload":"#
                + Self.quoted(payload) + "}}"
        case .mark(let streamSid, let name):
            #"{"event":"mark","streamSid":"# + Self.quoted(streamSid) + #","mark":{"name":"# + Self.quoted(name)
                + "}}"
        case .clear(let streamSid):
            #"{"event":"clear","streamSid":"# + Self.quoted(streamSid) + "}"
        }
    }

    /// `text` as a JSON string literal, quotes included.
    private static func quoted(_ text: String) -> String {
        let needsEscaping = text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        guard needsEscaping else { return "\"" + text + "\"" }
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}
