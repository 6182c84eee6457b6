/// Turns the bytes of a `text/event-stream` into events, however the network splits them.
///
/// Follows the event-stream interpretation rules of the HTML Living Standard (§9.2.6): lines end in CRLF, LF or CR;
/// a blank line dispatches the event; `:` starts a comment; one space after the colon is dropped; `data:` lines
/// accumulate; `id:` persists across events (unless it contains NUL); `retry:` takes digits only; a leading BOM is
/// skipped; an event not closed by a blank line when the stream ends is discarded.
package struct ServerSentEventParser: Sendable {
    /// The last `retry:` value, in milliseconds: how long to wait before reconnecting.
    package private(set) var retryMilliseconds: Int?
    /// The last `id:` value, for a `Last-Event-ID` header when reconnecting.
    package private(set) var lastEventID = ""

    private var line: [UInt8] = []
    private var afterCarriageReturn = false
    private var isFirstLine = true
    private var eventType = ""
    private var data: [UInt8] = []
    private var hasData = false

    package init() {}

    /// The data of every `message` event of a complete event-stream body that carries data: the JSON-RPC messages
    /// of an MCP answer, without its priming events.
    package static func messages(in body: some Sequence<UInt8>) -> [String] {
        var parser = ServerSentEventParser()
        return parser.parse(body).filter { $0.type == "message" && !$0.data.isEmpty }.map(\.data)
    }

    /// Parses the next chunk of the stream and returns the events it completed.
    package mutating func parse(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n") where afterCarriageReturn:
                // The LF of a CRLF whose CR ended the line already.
                afterCarriageReturn = false
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                afterCarriageReturn = byte == UInt8(ascii: "\r")
                if let event = endLine() { events.append(event) }
            default:
                afterCarriageReturn = false
                line.append(byte)
            }
        }
        return events
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        var text = line[...]
        if isFirstLine {
            isFirstLine = false
            if text.starts(with: Self.byteOrderMark) { text = text.dropFirst(3) }
        }
        guard !text.isEmpty else { return dispatch() }
        guard text.first != UInt8(ascii: ":") else { return nil }

        let field: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = text.firstIndex(of: UInt8(ascii: ":")) {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = text
            value = []
        }
        switch String(decoding: field, as: UTF8.self) {
        case "event":
            eventType = String(decoding: value, as: UTF8.self)
        case "data":
            data.append(contentsOf: value)
            data.append(UInt8(ascii: "\n"))
            hasData = true
        case "id":
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                retryMilliseconds = Int(String(decoding: value, as: UTF8.self))
            }
        default:
            break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventType = ""
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        guard hasData else { return nil }
        data.removeLast()  // the line feed after the last data line
        return ServerSentEvent(
            type: eventType.isEmpty ? "message" : eventType,
            data: String(decoding: data, as: UTF8.self),
            lastEventID: lastEventID
        )
    }
}
