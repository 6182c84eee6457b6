import Foundation

/// An event we send to the Realtime service (GA interface, `../shared/protocols/openai-realtime.md` §4).
package enum RealtimeClientEvent: Sendable, Equatable {
    case sessionUpdate(RealtimeSessionConfiguration)
    /// Caller audio: Twilio's base64 µ-law payload, untouched.
    case inputAudioBufferAppend(audio: String)
    case conversationItemCreate(RealtimeConversationItem)
    /// Cuts an assistant audio item to what the caller heard.
    case conversationItemTruncate(itemID: String, contentIndex: Int, audioEndMilliseconds: Int)
    /// Asks for a response; `instructions` replace the session's for this response only.
    case responseCreate(instructions: String?)
    case responseCancel(responseID: String?)

    package var type: String {
        switch self {
        case .sessionUpdate: "session.update"
        case .inputAudioBufferAppend: "input_audio_buffer.append"
        case .conversationItemCreate: "conversation.item.create"
        case .conversationItemTruncate: "conversation.item.truncate"
        case .responseCreate: "response.create"
        case .responseCancel: "response.cancel"
        }
    }

    /// The JSON text frame. Audio appends, sent 50 times a second per call, are written by hand.
    package var jsonText: String {
        if case .inputAudioBufferAppend(let audio) = self, !audio.utf8.contains(where: Self.needsEscaping) {
            return #"{"type":"input_audio_buffer.append","audio":""# + audio + #""}"#
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        // Encoding these value types cannot fail: every field is a string, number, bool or JSONValue.
        let data = (try? encoder.encode(self)) ?? Data(#"{"type":"\#(type)"}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func needsEscaping(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }
}

/// An item we add to the conversation.
package enum RealtimeConversationItem: Sendable, Equatable {
    /// The result of a function call, as text (usually JSON) the model reads.
    case functionCallOutput(callID: String, output: String)
    /// A user text message.
    case userText(String)
}

extension RealtimeClientEvent: Encodable {
    private enum Keys: String, CodingKey {
        case type, session, audio, item, response, instructions
        case itemID = "item_id", contentIndex = "content_index", audioEndMilliseconds = "audio_end_ms"
        case responseID = "response_id"
        case callID = "call_id", output, role, content, text
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .sessionUpdate(let session):
            try container.encode(session, forKey: .session)
        case .inputAudioBufferAppend(let audio):
            try container.encode(audio, forKey: .audio)
        case .conversationItemCreate(let item):
            var nested = container.nestedContainer(keyedBy: Keys.self, forKey: .item)
            switch item {
            case .functionCallOutput(let callID, let output):
                try nested.encode("function_call_output", forKey: .type)
                try nested.encode(callID, forKey: .callID)
                try nested.encode(output, forKey: .output)
            case .userText(let text):
                try nested.encode("message", forKey: .type)
                try nested.encode("user", forKey: .role)
                try nested.encode([["type": "input_text", "text": text]], forKey: .content)
            }
        case .conversationItemTruncate(let itemID, let contentIndex, let audioEndMilliseconds):
            try container.encode(itemID, forKey: .itemID)
            try container.encode(contentIndex, forKey: .contentIndex)
            try container.encode(audioEndMilliseconds, forKey: .audioEndMilliseconds)
        case .responseCreate(let instructions):
            if let instructions {
                var nested = container.nestedContainer(keyedBy: Keys.self, forKey: .response)
                try nested.encode(instructions, forKey: .instructions)
            }
        case .responseCancel(let responseID):
            try container.encodeIfPresent(responseID, forKey: .responseID)
        }
    }
}
