import Foundation
import Testing

@testable import TwilioMedia

/// The hot path reads `media` and `mark` without a general JSON decoder. It must never disagree with the general
/// decoder: for any text it gives the same message, or gives up and leaves the text to it.
@Suite struct TwilioInboundMessageHotPathTests {
    static let payload = "f39/f39/f39/f39/f39/f39/f39/f39/f39/f39/f39/f39/f39/f38="
    static let media =
        #"{"event":"media","sequenceNumber":"4","media":{"track":"inbound","chunk":"2","timestamp":"5","payload":"\#(payload)"},"streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0"}"#
    static let mark =
        #"{"event":"mark","sequenceNumber":"7","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0","mark":{"name":"item_1:800"}}"#

    func hotPath(_ text: String) -> TwilioInboundMessage? {
        Array(text.utf8).withUnsafeBufferPointer(TwilioInboundMessage.decodeHotPath)
    }

    func general(_ text: String) -> TwilioInboundMessage? {
        try? JSONDecoder().decode(TwilioInboundMessage.self, from: Data(text.utf8))
    }

    /// Well-formed `media` and `mark` in the shapes Twilio sends, and in others JSON allows.
    static let readable = [
        media, mark,
        // Keys in another order, spaces and line breaks, numbers unquoted or absent, a null track.
        #"{ "streamSid" : "MZ1", "media" : { "payload" : "\#(payload)", "timestamp" : 5 }, "event" : "media" }"#,
        "{\"event\":\"media\",\n\"streamSid\":\"MZ1\",\t\"media\":{\"track\":null,\"payload\":\"AA==\"}}",
        #"{"event":"media","streamSid":"MZ1","sequenceNumber":null,"media":{"chunk":-3,"payload":""}}"#,
        #"{"event":"mark","streamSid":"MZ1","mark":{"name":"greeting"},"extra":{"a":true,"b":false,"c":1.5e3}}"#,
    ]

    @Test(arguments: readable)
    func wellFormedMediaAndMarksAreReadOnTheHotPathAsTheGeneralDecoderReadsThem(text: String) throws {
        let fast = try #require(hotPath(text), "the hot path gave up on \(text)")
        #expect(fast == general(text))
    }

    /// Texts the hot path must leave to the general decoder: broken, unusual, or other events.
    static let leftToTheGeneralDecoder = [
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"f39\/f38="}}"#,  // an escape
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"AA=="},"streamSid":"MZ2"}"#,  // a repeated key
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"AA==","chunk":"two"}}"#,  // not a number
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"AA==","chunk":2.5}}"#,  // not whole
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"AA==","track":7}}"#,  // wrong type
        #"{"event":"media","streamSid":"MZ1","media":{"payload":["AA=="]}}"#,  // an array
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"AA==","x":{"y":{}}}}"#,  // too deep
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"AA=="}} trailing"#,
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"AA=="},}"#,  // a trailing comma
        #"{"event":"media","streamSid":"MZ1","media":"AA=="}"#,  // media not an object
        #"{"event":"media","streamSid":"MZ1"}"#,  // no payload
        #"{"event":"media","media":{"payload":"AA=="}}"#,  // no streamSid
        #"{"event":"mark","streamSid":"MZ1","mark":{"name":"café"}}"#,  // not ASCII
        #"{"event":"mark","streamSid":"MZ1","mark":{}}"#,
        #"{"event":"stop","streamSid":"MZ1"}"#,
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"AA=="},"n":01}"#,  // a leading zero
        #"{"event":"media","streamSid":"MZ1","media":{"payload":"AA=="},"n":tru}"#,
        "",
        "[]",
    ]

    @Test(arguments: leftToTheGeneralDecoder)
    func unusualOrBrokenTextIsLeftToTheGeneralDecoder(text: String) {
        #expect(hotPath(text) == nil)
    }

    @Test func noPrefixOfAMessageIsReadAsAMessage() {
        for text in [Self.media, Self.mark] {
            let bytes = Array(text.utf8)
            for end in 0..<bytes.count {
                let prefix = String(decoding: bytes[..<end], as: UTF8.self)
                #expect(hotPath(prefix) == nil, "read a prefix of \(end) bytes")
                #expect(general(prefix) == nil)
            }
        }
    }

    @Test func theDecoderUsesTheHotPathAndFallsBackForEverythingElse() throws {
        #expect(try TwilioInboundMessage.decode(Self.media) == general(Self.media))
        #expect(try TwilioInboundMessage.decode(Self.mark) == general(Self.mark))
        let stop =
            #"{"event":"stop","sequenceNumber":"9","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}"#
        #expect(try TwilioInboundMessage.decode(stop) == general(stop))
        #expect(throws: TwilioMessageDecodingError.self) {
            try TwilioInboundMessage.decode(#"{"event":"media","streamSid":"MZ1"}"#)
        }
    }
}
