import Foundation
import RealtimeAPI

/// What has been said on the call, in order, kept to restore the conversation on a new Realtime session
/// (`../shared/protocols/realtime-resilience.md`): the caller's turns from their transcription, the assistant's from
/// its transcript cut to what the caller heard, and the tool calls.
///
/// Tool calls are replayed only as complete pairs, the call and its output, never one without the other (the service
/// refuses an output whose call it has not seen, and a call without an output leaves the model waiting for one).
/// Dropping them altogether, as LiveKit does, would lose what a booking tool returned — the job number, the price —
/// which the caller may ask about again; a tool still running when the session was lost is sent as a pair when it
/// finishes.
struct ConversationHistory: Sendable, Equatable {
    enum Turn: Sendable, Equatable {
        /// `text` is `nil` until the transcription comes, and stays so if it never does.
        case caller(itemID: String, text: String?)
        /// `heard`/`sent` milliseconds when the caller talked over it: the text is cut in the same proportion.
        case assistant(itemID: String, text: String, heard: Int? = nil, sent: Int? = nil)
        case tool(callID: String, name: String, arguments: String, output: String?)
    }

    private(set) var turns: [Turn] = []

    /// The most turns restored: the latest ones. A call is limited to `MAX_CALL_MINUTES`, which keeps this far above
    /// what a conversation reaches; the cap only bounds a restore's size.
    static let maximumRestoredTurns = 200

    /// The note that follows a restored conversation: without it, models tend to introduce themselves again.
    static let continuationNote =
        "The phone call is still going on: the conversation above is what has been said so far. Do not greet the "
        + "caller or introduce yourself again; carry on from where the conversation is, in the same language."

    /// Whether anyone has said anything yet: with nothing said, a new session starts the call over (with the
    /// greeting) instead of restoring it.
    var hasSpoken: Bool {
        turns.contains { turn in
            switch turn {
            case .caller(_, let text): text?.isEmpty == false
            case .assistant(_, let text, _, _): !text.isEmpty
            case .tool: true
            }
        }
    }

    mutating func callerStarted(itemID: String) {
        guard callerIndex(itemID) == nil else { return }
        turns.append(.caller(itemID: itemID, text: nil))
    }

    mutating func callerSaid(itemID: String, text: String) {
        if let index = callerIndex(itemID) {
            turns[index] = .caller(itemID: itemID, text: text)
        } else {
            turns.append(.caller(itemID: itemID, text: text))
        }
    }

    /// The assistant's item started playing, or its transcript started coming: its place in the conversation.
    mutating func assistantStarted(itemID: String) {
        guard assistantIndex(itemID) == nil else { return }
        turns.append(.assistant(itemID: itemID, text: ""))
    }

    mutating func assistantTranscript(itemID: String, delta: String) {
        assistantStarted(itemID: itemID)
        guard let index = assistantIndex(itemID), case .assistant(_, let text, let heard, let sent) = turns[index]
        else { return }
        turns[index] = .assistant(itemID: itemID, text: text + delta, heard: heard, sent: sent)
    }

    mutating func assistantSaid(itemID: String, text: String) {
        assistantStarted(itemID: itemID)
        guard let index = assistantIndex(itemID), case .assistant(_, _, let heard, let sent) = turns[index]
        else { return }
        turns[index] = .assistant(itemID: itemID, text: text, heard: heard, sent: sent)
    }

    /// The caller talked over the item after hearing `heard` of the `sent` milliseconds of it.
    mutating func assistantCut(itemID: String, heard: Int, sent: Int) {
        guard let index = assistantIndex(itemID), case .assistant(_, let text, _, _) = turns[index] else { return }
        turns[index] = .assistant(itemID: itemID, text: text, heard: heard, sent: sent)
    }

    mutating func toolCalled(callID: String, name: String, arguments: String) {
        turns.append(.tool(callID: callID, name: name, arguments: arguments, output: nil))
    }

    mutating func toolAnswered(callID: String, output: String) {
        guard
            let index = turns.lastIndex(where: {
                if case .tool(callID, _, _, _) = $0 { true } else { false }
            }),
            case .tool(_, let name, let arguments, _) = turns[index]
        else { return }
        turns[index] = .tool(callID: callID, name: name, arguments: arguments, output: output)
    }

    /// The conversation as items for a new session, in order, then the continuation note; and the function calls
    /// among them (the new session knows those).
    func restoreItems() -> (items: [RealtimeConversationItem], callIDs: Set<String>) {
        var items: [RealtimeConversationItem] = []
        var callIDs: Set<String> = []
        for turn in turns.suffix(Self.maximumRestoredTurns) {
            switch turn {
            case .caller(_, let text):
                if let text, !text.isEmpty { items.append(.userText(text)) }
            case .assistant(_, let text, let heard, let sent):
                let said = heard.map { Self.cut(text, heard: $0, sent: sent ?? 0) } ?? text
                if !said.isEmpty { items.append(.assistantText(said)) }
            case .tool(let callID, let name, let arguments, let output):
                guard let output else { continue }
                items.append(.functionCall(callID: callID, name: name, arguments: arguments))
                items.append(.functionCallOutput(callID: callID, output: output))
                callIDs.insert(callID)
            }
        }
        items.append(.systemText(Self.continuationNote))
        return (items, callIDs)
    }

    /// The part of `text` the caller heard, by the share of the audio they heard, cut back to a whole word and
    /// marked as cut off.
    static func cut(_ text: String, heard: Int, sent: Int) -> String {
        guard sent > 0, heard < sent else { return text }
        let keep = text.count * max(heard, 0) / sent
        var kept = text.prefix(keep)
        // A word the cut falls inside was not heard whole.
        if kept.endIndex < text.endIndex, !text[kept.endIndex].isWhitespace {
            kept = kept.lastIndex(where: \.isWhitespace).map { kept[..<$0] } ?? ""
        }
        let trimmed = kept.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        return trimmed.isEmpty ? "" : trimmed + "…"
    }

    private func callerIndex(_ itemID: String) -> Int? {
        turns.lastIndex { if case .caller(itemID, _) = $0 { true } else { false } }
    }

    private func assistantIndex(_ itemID: String) -> Int? {
        turns.lastIndex { if case .assistant(itemID, _, _, _) = $0 { true } else { false } }
    }
}
