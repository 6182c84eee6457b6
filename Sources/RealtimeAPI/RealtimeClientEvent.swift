import Foundation

/// An event we send to the Realtime service (GA interface, `../shared/protocols/openai-realtime.md` §4).
package enum RealtimeClientEvent: Sendable, Equatable {
    case sessionUpdate(RealtimeSessionConfiguration)
    /// Caller audio: Twilio's base64 µ-law payload, untouched.
    case inputAudioBufferAppend(audio: String)
    case conversationItemCreate(RealtimeConversationItem)
    /// An item of a conversation restored on a new session: with our own `id`, placed after `previousItemID`
    /// (`"root"` for the first), so the items stay in the order they were said.
    case conversationItemRestore(RealtimeConversationItem, id: String, previousItemID: String)
    /// Cuts an assistant audio item to what the caller heard.
    case conversationItemTruncate(itemID: String, contentIndex: Int, audioEndMilliseconds: Int)
    /// Asks for a response; `instructions` replace the session's for this response only.
    case responseCreate(instructions: String?)
    case responseCancel(responseID: String?)

    package var type: String {
        switch self {
        case .sessionUpdate: "session.update"
        case .inputAudioBufferAppend: "input_audio_buffer.append"
        case .conversationItemCreate, .conversationItemRestore: "conversation.item.create"
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
    /// What the assistant said, as text (the service refuses assistant audio in `conversation.item.create`).
    case assistantText(String)
    /// A system message: a note to the model that is nobody's turn.
    case systemText(String)
    /// A function call the model made, replayed before its output.
    case functionCall(callID: String, name: String, arguments: String)
}

extension RealtimeClientEvent: Encodable {
    fileprivate enum Keys: String, CodingKey {
        case type, session, audio, item, response, instructions, id, name, arguments
        case previousItemID = "previous_item_id"
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
            try item.encode(into: &nested)
        case .conversationItemRestore(let item, let id, let previousItemID):
            try container.encode(previousItemID, forKey: .previousItemID)
            var nested = container.nestedContainer(keyedBy: Keys.self, forKey: .item)
            try nested.encode(id, forKey: .id)
            try item.encode(into: &nested)
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

extension RealtimeConversationItem {
    fileprivate func encode(into container: inout KeyedEncodingContainer<RealtimeClientEvent.Keys>) throws {
        func message(role: String, contentType: String, text: String) throws {
            try container.encode("message", forKey: .type)
            try container.encode(role, forKey: .role)
            try container.encode([["type": contentType, "text": text]], forKey: .content)
        }
        switch self {
        case .functionCallOutput(let callID, let output):
            try container.encode("function_call_output", forKey: .type)
            try container.encode(callID, forKey: .callID)
            try container.encode(output, forKey: .output)
        case .functionCall(let callID, let name, let arguments):
            try container.encode("function_call", forKey: .type)
            try container.encode(callID, forKey: .callID)
            try container.encode(name, forKey: .name)
            try container.encode(arguments, forKey: .arguments)
        case .userText(let text): try message(role: "user", contentType: "input_text", text: text)
        case .assistantText(let text): try message(role: "assistant", contentType: "output_text", text: text)
        case .systemText(let text): try message(role: "system", contentType: "input_text", text: text)
        }
    }
}
