/// A message Twilio sends on a Media Streams WebSocket (`../shared/protocols/twilio.md` §3.1).
///
/// Audio payloads stay base64 text: the server relays them and never decodes them.
package enum TwilioInboundMessage: Sendable, Equatable {
    case connected(Connected)
    case start(Start)
    case media(Media)
    case mark(Mark)
    case dtmf(DTMF)
    case stop(Stop)
    /// An event this server does not know. Twilio may add events; they are logged and skipped.
    case unknown(event: String)

    package struct Connected: Sendable, Equatable {
        package var `protocol`: String?
        package var version: String?
    }

    package struct Start: Sendable, Equatable {
        package var sequenceNumber: Int?
        package var streamSid: String
        package var accountSid: String
        package var callSid: String
        package var tracks: [String]
        package var mediaFormat: MediaFormat?
        /// The `<Parameter>`s of the TwiML `<Stream>`, by name.
        package var customParameters: [String: String]
    }

    package struct MediaFormat: Sendable, Equatable {
        package var encoding: String
        package var sampleRate: Int
        package var channels: Int
    }

    package struct Media: Sendable, Equatable {
        package var sequenceNumber: Int?
        package var streamSid: String
        package var track: String?
        /// Counts media messages from 1.
        package var chunk: Int?
        /// Milliseconds since the stream started.
        package var timestampMilliseconds: Int?
        /// Base64 of raw G.711 µ-law, 8 kHz mono, usually 20 ms (160 bytes).
        package var payload: String
    }

    package struct Mark: Sendable, Equatable {
        package var sequenceNumber: Int?
        package var streamSid: String
        package var name: String
    }

    package struct DTMF: Sendable, Equatable {
        package var sequenceNumber: Int?
        package var streamSid: String
        package var track: String?
        package var digit: String
    }

    package struct Stop: Sendable, Equatable {
        package var sequenceNumber: Int?
        package var streamSid: String
        package var accountSid: String?
        package var callSid: String?
    }

    /// The event name as Twilio spells it.
    package var event: String {
        switch self {
        case .connected: "connected"
        case .start: "start"
        case .media: "media"
        case .mark: "mark"
        case .dtmf: "dtmf"
        case .stop: "stop"
        case .unknown(let event): event
        }
    }

    /// The stream the message belongs to; `connected` and unknown events carry none.
    package var streamSid: String? {
        switch self {
        case .connected, .unknown: nil
        case .start(let start): start.streamSid
        case .media(let media): media.streamSid
        case .mark(let mark): mark.streamSid
        case .dtmf(let dtmf): dtmf.streamSid
        case .stop(let stop): stop.streamSid
        }
    }
}

extension TwilioInboundMessage {
    /// The message's place in the stream: Twilio numbers every message from `start` (1) on, one more each time.
    package var sequenceNumber: Int? {
        switch self {
        case .connected, .unknown: nil
        case .start(let start): start.sequenceNumber
        case .media(let media): media.sequenceNumber
        case .mark(let mark): mark.sequenceNumber
        case .dtmf(let dtmf): dtmf.sequenceNumber
        case .stop(let stop): stop.sequenceNumber
        }
    }
}
