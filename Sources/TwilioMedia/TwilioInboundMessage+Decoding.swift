import Foundation

/// Why a Media Streams frame could not be read. The description is safe to log: it never holds the payload.
package struct TwilioMessageDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}

extension TwilioInboundMessage {
    /// Decodes one text frame. Numbers that Twilio sends as strings (`sequenceNumber`, `chunk`, `timestamp`) are
    /// read from either form; unknown keys are ignored; an unknown `event` decodes to `.unknown`.
    package static func decode(_ frame: some DataProtocol) throws(TwilioMessageDecodingError) -> TwilioInboundMessage {
        if let message = frame.withContiguousStorageIfAvailable(decodeHotPath) ?? nil {
            return message
        }
        do {
            return try JSONDecoder().decode(TwilioInboundMessage.self, from: Data(frame))
        } catch let error as DecodingError {
            throw TwilioMessageDecodingError(Self.describe(error))
        } catch {
            throw TwilioMessageDecodingError("unreadable message")
        }
    }

    /// Decodes one text frame as it arrives, without copying it first.
    package static func decode(_ frame: String) throws(TwilioMessageDecodingError) -> TwilioInboundMessage {
        var frame = frame
        if let message = frame.withUTF8(decodeHotPath) { return message }
        return try decode(Array(frame.utf8))
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            return keys.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "not valid JSON"
        case .dataCorrupted(let context):
            return "invalid value at \(path(context))"
        case .keyNotFound(let key, let context):
            return "missing field \(path(context, key))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context))"
        @unknown default:
            return "unreadable message"
        }
    }
}

extension TwilioInboundMessage: Decodable {
    private enum Keys: String, CodingKey {
        case event, sequenceNumber, streamSid, start, media, mark, dtmf, stop
        case `protocol`, version
    }

    private enum StartKeys: String, CodingKey {
        case accountSid, streamSid, callSid, tracks, mediaFormat, customParameters
    }

    private enum MediaFormatKeys: String, CodingKey {
        case encoding, sampleRate, channels
    }

    private enum MediaKeys: String, CodingKey {
        case track, chunk, timestamp, payload
    }

    private enum NameKeys: String, CodingKey {
        case name
    }

    private enum DTMFKeys: String, CodingKey {
        case track, digit
    }

    private enum StopKeys: String, CodingKey {
        case accountSid, callSid
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let event = try container.decode(String.self, forKey: .event)
        switch event {
        case "connected":
            self = .connected(
                Connected(
                    protocol: try container.decodeIfPresent(String.self, forKey: .protocol),
                    version: try container.decodeIfPresent(String.self, forKey: .version)
                )
            )
        case "start":
            let start = try container.nestedContainer(keyedBy: StartKeys.self, forKey: .start)
            let streamSid =
                try container.decodeIfPresent(String.self, forKey: .streamSid)
                ?? start.decode(String.self, forKey: .streamSid)
            var mediaFormat: MediaFormat?
            if start.contains(.mediaFormat) {
                let format = try start.nestedContainer(keyedBy: MediaFormatKeys.self, forKey: .mediaFormat)
                mediaFormat = MediaFormat(
                    encoding: try format.decode(String.self, forKey: .encoding),
                    sampleRate: try format.decodeLenientInt(forKey: .sampleRate),
                    channels: try format.decodeLenientInt(forKey: .channels)
                )
            }
            self = .start(
                Start(
                    sequenceNumber: try container.decodeLenientIntIfPresent(forKey: .sequenceNumber),
                    streamSid: streamSid,
                    accountSid: try start.decode(String.self, forKey: .accountSid),
                    callSid: try start.decode(String.self, forKey: .callSid),
                    tracks: try start.decodeIfPresent([String].self, forKey: .tracks) ?? [],
                    mediaFormat: mediaFormat,
                    customParameters: try start.decodeIfPresent([String: String].self, forKey: .customParameters)
                        ?? [:]
                )
            )
        case "media":
            let media = try container.nestedContainer(keyedBy: MediaKeys.self, forKey: .media)
            self = .media(
                Media(
                    sequenceNumber: try container.decodeLenientIntIfPresent(forKey: .sequenceNumber),
                    streamSid: try container.decode(String.self, forKey: .streamSid),
                    track: try media.decodeIfPresent(String.self, forKey: .track),
                    chunk: try media.decodeLenientIntIfPresent(forKey: .chunk),
                    timestampMilliseconds: try media.decodeLenientIntIfPresent(forKey: .timestamp),
                    payload: try media.decode(String.self, forKey: .payload)
                )
            )
        case "mark":
            let mark = try container.nestedContainer(keyedBy: NameKeys.self, forKey: .mark)
            self = .mark(
                Mark(
                    sequenceNumber: try container.decodeLenientIntIfPresent(forKey: .sequenceNumber),
                    streamSid: try container.decode(String.self, forKey: .streamSid),
                    name: try mark.decode(String.self, forKey: .name)
                )
            )
        case "dtmf":
            let dtmf = try container.nestedContainer(keyedBy: DTMFKeys.self, forKey: .dtmf)
            self = .dtmf(
                DTMF(
                    sequenceNumber: try container.decodeLenientIntIfPresent(forKey: .sequenceNumber),
                    streamSid: try container.decode(String.self, forKey: .streamSid),
                    track: try dtmf.decodeIfPresent(String.self, forKey: .track),
                    digit: try dtmf.decode(String.self, forKey: .digit)
                )
            )
        case "stop":
            let stop = try container.decodeIfPresent(StopBody.self, forKey: .stop)
            self = .stop(
                Stop(
                    sequenceNumber: try container.decodeLenientIntIfPresent(forKey: .sequenceNumber),
                    streamSid: try container.decode(String.self, forKey: .streamSid),
                    accountSid: stop?.accountSid,
                    callSid: stop?.callSid
                )
            )
        default:
            self = .unknown(event: event)
        }
    }

    private struct StopBody: Decodable {
        var accountSid: String?
        var callSid: String?
    }
}

extension KeyedDecodingContainer {
    /// Twilio quotes most numbers (`"sequenceNumber":"1"`) but not all; accept a whole number in either form.
    fileprivate func decodeLenientIntIfPresent(forKey key: Key) throws -> Int? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeLenientInt(forKey: key)
    }

    fileprivate func decodeLenientInt(forKey key: Key) throws -> Int {
        if let number = try? decode(Int.self, forKey: key) {
            return number
        }
        let text = try decode(String.self, forKey: key)
        guard let number = Int(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: self,
                debugDescription: "expected a whole number"
            )
        }
        return number
    }
}
