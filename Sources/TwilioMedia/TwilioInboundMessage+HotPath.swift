import FlatJSON

extension TwilioInboundMessage {
    /// Reads the two messages that come tens of times a second, `media` and `mark`, with ``FlatJSONScanner``
    /// instead of a general JSON decoder. `nil` means "not one of those, or not certainly well formed": the caller
    /// then decodes it the general way, which gives the same message or the error.
    package static func decodeHotPath(_ bytes: UnsafeBufferPointer<UInt8>) -> TwilioInboundMessage? {
        var fields = HotFields()
        guard FlatJSONScanner.scan(bytes, { fields.take($0, in: bytes) }), !fields.repeated,
            let event = fields.event, event.kind == .string
        else { return nil }
        guard let streamSid = fields.streamSid, streamSid.kind == .string,
            let sequenceNumber = fields.lenientInteger(fields.sequenceNumber, in: bytes)
        else { return nil }
        if bytes.bytes(in: event.value, equal: "media") {
            guard fields.media?.kind == .object, let payload = fields.payload, payload.kind == .string,
                let chunk = fields.lenientInteger(fields.chunk, in: bytes),
                let timestamp = fields.lenientInteger(fields.timestamp, in: bytes)
            else { return nil }
            var track: String?
            if let member = fields.track {
                switch member.kind {
                case .string: track = bytes.string(in: member.value)
                case .literal where bytes.bytes(in: member.value, equal: "null"): track = nil
                default: return nil
                }
            }
            return .media(
                Media(
                    sequenceNumber: sequenceNumber,
                    streamSid: bytes.string(in: streamSid.value),
                    track: track,
                    chunk: chunk,
                    timestampMilliseconds: timestamp,
                    payload: bytes.string(in: payload.value)
                )
            )
        }
        if bytes.bytes(in: event.value, equal: "mark") {
            guard fields.mark?.kind == .object, let name = fields.name, name.kind == .string else { return nil }
            return .mark(
                Mark(
                    sequenceNumber: sequenceNumber,
                    streamSid: bytes.string(in: streamSid.value),
                    name: bytes.string(in: name.value)
                )
            )
        }
        return nil
    }

    /// The members the hot path reads, wherever they come in the object.
    private struct HotFields {
        var event: FlatJSONScanner.Member?
        var streamSid: FlatJSONScanner.Member?
        var sequenceNumber: FlatJSONScanner.Member?
        var media: FlatJSONScanner.Member?
        var mark: FlatJSONScanner.Member?
        var track: FlatJSONScanner.Member?
        var chunk: FlatJSONScanner.Member?
        var timestamp: FlatJSONScanner.Member?
        var payload: FlatJSONScanner.Member?
        var name: FlatJSONScanner.Member?
        /// A key came twice: decoders differ on which wins, so the general one decides.
        var repeated = false

        mutating func take(_ member: FlatJSONScanner.Member, in bytes: UnsafeBufferPointer<UInt8>) {
            func keep(_ slot: inout FlatJSONScanner.Member?) {
                if slot != nil { repeated = true }
                slot = member
            }
            let key = member.key
            guard let parent = member.parent else {
                if bytes.bytes(in: key, equal: "event") {
                    keep(&event)
                } else if bytes.bytes(in: key, equal: "streamSid") {
                    keep(&streamSid)
                } else if bytes.bytes(in: key, equal: "sequenceNumber") {
                    keep(&sequenceNumber)
                } else if bytes.bytes(in: key, equal: "media") {
                    keep(&media)
                } else if bytes.bytes(in: key, equal: "mark") {
                    keep(&mark)
                }
                return
            }
            if bytes.bytes(in: parent, equal: "media") {
                if bytes.bytes(in: key, equal: "payload") {
                    keep(&payload)
                } else if bytes.bytes(in: key, equal: "track") {
                    keep(&track)
                } else if bytes.bytes(in: key, equal: "chunk") {
                    keep(&chunk)
                } else if bytes.bytes(in: key, equal: "timestamp") {
                    keep(&timestamp)
                }
            } else if bytes.bytes(in: parent, equal: "mark"), bytes.bytes(in: key, equal: "name") {
                keep(&name)
            }
        }

        /// A number Twilio may quote: absent or `null` is `nil`, a whole number in either form is its value;
        /// anything else (the outer `nil`) is for the general decoder to refuse.
        func lenientInteger(_ member: FlatJSONScanner.Member?, in bytes: UnsafeBufferPointer<UInt8>) -> Int?? {
            guard let member else { return .some(nil) }
            switch member.kind {
            case .string, .number:
                return bytes.integer(in: member.value).map { .some($0) }
            case .literal where bytes.bytes(in: member.value, equal: "null"):
                return .some(nil)
            default:
                return nil
            }
        }
    }
}
