import Foundation
import RealtimeAPI

/// Checks that a client event has the GA shape the real service accepts: the `type` is one of the 11 GA client
/// events, its required fields are present with the right types, and no beta-only field appears
/// (`../shared/protocols/openai-realtime-events.json`, `openai-realtime.md` §2).
package enum RealtimeEventShape {
    /// GA client event types and their required top-level fields (openai-python 3.57.0).
    package static let requiredClientFields: [String: Set<String>] = [
        "conversation.item.create": ["item", "type"],
        "conversation.item.delete": ["item_id", "type"],
        "conversation.item.retrieve": ["item_id", "type"],
        "conversation.item.truncate": ["audio_end_ms", "content_index", "item_id", "type"],
        "input_audio_buffer.append": ["audio", "type"],
        "input_audio_buffer.clear": ["type"],
        "input_audio_buffer.commit": ["type"],
        "output_audio_buffer.clear": ["type"],
        "response.cancel": ["type"],
        "response.create": ["type"],
        "session.update": ["session", "type"],
    ]

    /// Session fields of the retired beta interface.
    static let betaSessionFields: Set<String> = [
        "modalities", "input_audio_format", "output_audio_format", "voice", "turn_detection",
        "input_audio_transcription", "input_audio_noise_reduction", "temperature", "max_response_output_tokens",
    ]

    /// Everything wrong with `event`; empty when it is a valid GA client event.
    package static func problems(in event: JSONValue) -> [String] {
        guard let fields = event.objectValue else { return ["event is not a JSON object"] }
        guard let type = event["type"]?.stringValue else { return ["event without a string type"] }
        guard let required = requiredClientFields[type] else { return ["\(type): not a GA client event"] }
        var problems = required.subtracting(fields.keys).sorted().map { "\(type): missing \($0)" }
        func expect(_ condition: Bool, _ problem: String) {
            if !condition { problems.append("\(type): \(problem)") }
        }
        if let eventID = event["event_id"] { expect(eventID.stringValue != nil, "event_id is not a string") }
        switch type {
        case "session.update":
            guard let session = event["session"], session.objectValue != nil else {
                return problems + ["\(type): session is not an object"]
            }
            expect(session["type"]?.stringValue == "realtime", "session.type must be realtime")
            for field in betaSessionFields.sorted() where session[field] != nil {
                problems.append("\(type): beta field session.\(field)")
            }
            if let modalities = session["output_modalities"] {
                let list = modalities.arrayValue?.compactMap(\.stringValue) ?? []
                expect(list == ["audio"] || list == ["text"], "output_modalities must be [audio] or [text]")
            }
            if let audio = session["audio"] {
                expect(audio.objectValue != nil, "session.audio is not an object")
                for direction in ["input", "output"] {
                    if let format = audio[direction]?["format"] {
                        let formatType = format["type"]?.stringValue ?? ""
                        expect(
                            ["audio/pcmu", "audio/pcma", "audio/pcm"].contains(formatType),
                            "audio.\(direction).format.type \(formatType) is not a GA format"
                        )
                    }
                }
            }
            if let tools = session["tools"] {
                let list = tools.arrayValue
                expect(list != nil, "session.tools is not a list")
                for tool in list ?? [] {
                    expect(tool["type"]?.stringValue == "function", "tool without type function")
                    expect(tool["name"]?.stringValue != nil, "tool without a name")
                    expect(tool["parameters"]?.objectValue != nil, "tool parameters are not a JSON Schema object")
                }
            }
        case "input_audio_buffer.append":
            let audio = event["audio"]?.stringValue
            expect(audio.flatMap { Data(base64Encoded: $0) } != nil, "audio is not base64")
        case "conversation.item.create":
            guard let item = event["item"], let itemType = item["type"]?.stringValue else {
                return problems + ["\(type): item without a type"]
            }
            if let id = item["id"]?.stringValue {
                expect(id.count <= 32, "item id longer than 32 characters")
            }
            switch itemType {
            case "function_call_output":
                expect(item["call_id"]?.stringValue != nil, "function_call_output without call_id")
                expect(item["output"]?.stringValue != nil, "function_call_output.output is not a string")
            case "message":
                let role = item["role"]?.stringValue ?? ""
                // The service takes assistant turns only as text: it refuses assistant audio items.
                let allowed: [String: Set<String>] = [
                    "user": ["input_text", "input_audio"], "assistant": ["output_text"], "system": ["input_text"],
                ]
                expect(allowed[role] != nil, "message role \(role) is not user, assistant or system")
                expect(item["content"]?.arrayValue != nil, "message content is not a list")
                for part in item["content"]?.arrayValue ?? [] {
                    let partType = part["type"]?.stringValue ?? ""
                    expect(allowed[role]?.contains(partType) ?? true, "a \(role) message cannot hold \(partType)")
                }
            case "function_call":
                expect(
                    item["call_id"]?.stringValue != nil && item["name"]?.stringValue != nil,
                    "function_call without call_id or name"
                )
            default:
                problems.append("\(type): unknown item type \(itemType)")
            }
        case "conversation.item.truncate":
            expect(event["item_id"]?.stringValue != nil, "item_id is not a string")
            expect(event["content_index"]?.intValue != nil, "content_index is not an integer")
            expect((event["audio_end_ms"]?.intValue ?? -1) >= 0, "audio_end_ms is not a whole number of milliseconds")
        case "response.create":
            if let response = event["response"] {
                guard response.objectValue != nil else { return problems + ["\(type): response is not an object"] }
                for field in ["modalities", "voice", "output_audio_format"] where response[field] != nil {
                    problems.append("\(type): beta field response.\(field)")
                }
            }
        case "response.cancel":
            if let responseID = event["response_id"] {
                expect(responseID.stringValue != nil, "response_id is not a string")
            }
        default:
            break
        }
        return problems
    }
}
