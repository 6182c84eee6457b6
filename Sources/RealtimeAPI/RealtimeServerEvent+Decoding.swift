import FlatJSON
import Foundation

extension RealtimeServerEvent: Decodable {
    private enum Keys: String, CodingKey {
        case type, error, response, delta, transcript, name, arguments, session
        case itemID = "item_id", responseID = "response_id", callID = "call_id"
        case audioStartMilliseconds = "audio_start_ms", audioEndMilliseconds = "audio_end_ms"
    }

    private struct ResponseID: Decodable {
        var id: String
    }

    private struct Session: Decodable {
        var expiresAt: Int?

        private enum CodingKeys: String, CodingKey {
            case expiresAt = "expires_at"
        }
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "session.created":
            let session = try container.decodeIfPresent(Session.self, forKey: .session)
            self = .sessionCreated(expiresAt: session?.expiresAt)
        case "session.updated":
            self = .sessionUpdated
        case "error":
            self = .error(try container.decode(RealtimeError.self, forKey: .error))
        case "input_audio_buffer.speech_started":
            self = .speechStarted(
                itemID: try container.decode(String.self, forKey: .itemID),
                audioStartMilliseconds: try container.decodeIfPresent(Int.self, forKey: .audioStartMilliseconds) ?? 0
            )
        case "input_audio_buffer.speech_stopped":
            self = .speechStopped(
                itemID: try container.decode(String.self, forKey: .itemID),
                audioEndMilliseconds: try container.decodeIfPresent(Int.self, forKey: .audioEndMilliseconds) ?? 0
            )
        case "response.created":
            self = .responseCreated(responseID: try container.decode(ResponseID.self, forKey: .response).id)
        case "response.output_audio.delta":
            self = .outputAudioDelta(
                responseID: try container.decode(String.self, forKey: .responseID),
                itemID: try container.decode(String.self, forKey: .itemID),
                delta: try container.decode(String.self, forKey: .delta)
            )
        case "response.output_audio_transcript.delta":
            self = .outputAudioTranscriptDelta(
                responseID: try container.decode(String.self, forKey: .responseID),
                itemID: try container.decode(String.self, forKey: .itemID),
                delta: try container.decode(String.self, forKey: .delta)
            )
        case "response.output_audio_transcript.done":
            self = .outputAudioTranscriptDone(
                responseID: try container.decode(String.self, forKey: .responseID),
                itemID: try container.decode(String.self, forKey: .itemID),
                transcript: try container.decode(String.self, forKey: .transcript)
            )
        case "response.function_call_arguments.done":
            self = .functionCallArgumentsDone(
                responseID: try container.decode(String.self, forKey: .responseID),
                itemID: try container.decode(String.self, forKey: .itemID),
                callID: try container.decode(String.self, forKey: .callID),
                name: try container.decode(String.self, forKey: .name),
                arguments: try container.decode(String.self, forKey: .arguments)
            )
        case "response.done":
            self = .responseDone(try container.decode(RealtimeResponse.self, forKey: .response))
        case "conversation.item.truncated":
            self = .itemTruncated(
                itemID: try container.decode(String.self, forKey: .itemID),
                audioEndMilliseconds: try container.decode(Int.self, forKey: .audioEndMilliseconds)
            )
        case "conversation.item.input_audio_transcription.completed":
            self = .inputTranscriptionCompleted(
                itemID: try container.decode(String.self, forKey: .itemID),
                transcript: try container.decode(String.self, forKey: .transcript)
            )
        default:
            self = .other(type: type)
        }
    }

    /// Decodes one text frame from the service.
    package static func decode(_ frame: some DataProtocol) throws -> RealtimeServerEvent {
        if let event = frame.withContiguousStorageIfAvailable(decodeAudioDelta) ?? nil {
            return event
        }
        return try JSONDecoder().decode(RealtimeServerEvent.self, from: Data(frame))
    }

    /// Decodes one text frame as it arrives, without copying it first.
    package static func decode(_ frame: String) throws -> RealtimeServerEvent {
        var frame = frame
        if let event = frame.withUTF8(decodeAudioDelta) { return event }
        return try JSONDecoder().decode(RealtimeServerEvent.self, from: Data(frame.utf8))
    }

    /// Reads `response.output_audio.delta`, the event that comes tens of times a second, with
    /// ``FlatJSONScanner``; `nil` for any other event, or one not certainly well formed, which the general
    /// decoder then reads (or refuses).
    package static func decodeAudioDelta(_ bytes: UnsafeBufferPointer<UInt8>) -> RealtimeServerEvent? {
        var type: FlatJSONScanner.Member?
        var responseID: FlatJSONScanner.Member?
        var itemID: FlatJSONScanner.Member?
        var delta: FlatJSONScanner.Member?
        var repeated = false
        let scanned = FlatJSONScanner.scan(bytes) { member in
            guard member.parent == nil else { return }
            func keep(_ slot: inout FlatJSONScanner.Member?) {
                if slot != nil { repeated = true }
                slot = member
            }
            if bytes.bytes(in: member.key, equal: "type") {
                keep(&type)
            } else if bytes.bytes(in: member.key, equal: "response_id") {
                keep(&responseID)
            } else if bytes.bytes(in: member.key, equal: "item_id") {
                keep(&itemID)
            } else if bytes.bytes(in: member.key, equal: "delta") {
                keep(&delta)
            }
        }
        guard scanned, !repeated, let type, type.kind == .string,
            bytes.bytes(in: type.value, equal: "response.output_audio.delta"),
            let responseID, responseID.kind == .string, let itemID, itemID.kind == .string, let delta,
            delta.kind == .string
        else { return nil }
        return .outputAudioDelta(
            responseID: bytes.string(in: responseID.value),
            itemID: bytes.string(in: itemID.value),
            delta: bytes.string(in: delta.value)
        )
    }
}
