import MCPClient
import Testing

/// The examples of the event-stream section of the HTML Living Standard (§9.2), and the ways a network splits them.
struct ServerSentEventParserTests {
    func parse(_ text: String) -> (events: [ServerSentEvent], parser: ServerSentEventParser) {
        var parser = ServerSentEventParser()
        let events = parser.parse(Array(text.utf8))
        return (events, parser)
    }

    @Test func dataLinesJoinWithLineFeeds() {
        let (events, _) = parse("data: YHOO\ndata: +2\ndata: 10\n\n")
        #expect(events == [ServerSentEvent(data: "YHOO\n+2\n10")])
    }

    @Test func commentsIdsAndOneLeadingSpace() {
        let (events, parser) = parse(
            ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"
        )
        #expect(
            events == [
                ServerSentEvent(data: "first event", lastEventID: "1"),
                // A bare `id` resets the last event id.
                ServerSentEvent(data: "second event", lastEventID: ""),
                // Only one space after the colon is dropped.
                ServerSentEvent(data: " third event", lastEventID: ""),
            ]
        )
        #expect(parser.lastEventID == "")
    }

    @Test func emptyDataDispatchesAndAnUnfinishedEventIsDropped() {
        let (events, _) = parse("data\n\ndata\ndata\n\ndata:")
        #expect(events == [ServerSentEvent(data: ""), ServerSentEvent(data: "\n")])
    }

    @Test func theSpaceAfterTheColonIsOptional() {
        let (events, _) = parse("data:test\n\ndata: test\n\n")
        #expect(events == [ServerSentEvent(data: "test"), ServerSentEvent(data: "test")])
    }

    @Test func eventTypesApplyToOneEventOnly() {
        let (events, _) = parse("event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\ndata: 113411\n\n")
        #expect(
            events == [
                ServerSentEvent(type: "add", data: "73857293"),
                ServerSentEvent(type: "remove", data: "2153"),
                ServerSentEvent(type: "message", data: "113411"),
            ]
        )
    }

    @Test func retryTakesDigitsOnly() {
        var (_, parser) = parse("retry: 3000\n\n")
        #expect(parser.retryMilliseconds == 3000)
        _ = parser.parse(Array("retry: 3s\n\nretry: -1\n\n".utf8))
        #expect(parser.retryMilliseconds == 3000)
    }

    @Test func anIDWithNULIsIgnored() {
        let (events, _) = parse("id: 7\ndata: a\n\nid: 8\u{0}9\ndata: b\n\n")
        #expect(events.map(\.lastEventID) == ["7", "7"])
    }

    @Test(arguments: ["\n", "\r", "\r\n"])
    func everyLineEndWorks(lineEnd: String) {
        let text = ["event: message", "data: one", "data: two", "", "data: three", "", ""].joined(separator: lineEnd)
        let (events, _) = parse(text)
        #expect(events == [ServerSentEvent(data: "one\ntwo"), ServerSentEvent(data: "three")])
    }

    @Test func aByteOrderMarkAtTheStartIsSkipped() {
        let (events, _) = parse("\u{FEFF}data: hello\n\n")
        #expect(events == [ServerSentEvent(data: "hello")])
    }

    @Test func unknownFieldsAreIgnored() {
        let (events, _) = parse("foo: bar\ndata: kept\nbaz\n\n")
        #expect(events == [ServerSentEvent(data: "kept")])
    }

    /// A CRLF split between two reads is one line end, and a character split between reads is whole again.
    @Test func chunksSplitAnywhereGiveTheSameEvents() {
        let text =
            "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"text\":\"café ☕\"}}\r\n\r\n"
            + ": keep-alive\r\n\r\nid: 42\r\ndata: second\r\n\r\n"
        let bytes = Array(text.utf8)
        let whole = parse(text).events
        #expect(whole.count == 2)
        #expect(whole.first?.data.contains("café ☕") == true)
        #expect(whole.last == ServerSentEvent(data: "second", lastEventID: "42"))
        for split in 1..<bytes.count {
            var parser = ServerSentEventParser()
            let events = parser.parse(bytes[..<split]) + parser.parse(bytes[split...])
            #expect(events == whole, "split at byte \(split)")
        }
        var parser = ServerSentEventParser()
        let byByte = bytes.flatMap { parser.parse([$0]) }
        #expect(byByte == whole)
    }
}
