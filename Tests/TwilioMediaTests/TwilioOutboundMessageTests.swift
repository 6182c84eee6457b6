import Foundation
import Testing

@testable import TwilioMedia

@Suite struct TwilioOutboundMessageTests {
    func object(_ message: TwilioOutboundMessage) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: Data(message.jsonText.utf8)) as? NSDictionary)
    }

    @Test func mediaHasExactlyTheDocumentedFields() throws {
        let json = try object(.media(streamSid: "MZ1", payload: "/+8A/w=="))
        #expect(json == ["event": "media", "streamSid": "MZ1", "media": ["payload": "/+8A/w=="]] as NSDictionary)
    }

    @Test func markAndClear() throws {
        #expect(
            try object(.mark(streamSid: "MZ1", name: "r3-c17")) == [
                "event": "mark", "streamSid": "MZ1", "mark": ["name": "r3-c17"],
            ] as NSDictionary
        )
        #expect(try object(.clear(streamSid: "MZ1")) == ["event": "clear", "streamSid": "MZ1"] as NSDictionary)
    }

    @Test func stringsAreEscaped() throws {
        let name = "a\"b\\c\nd\u{1}é"
        let json = try object(.mark(streamSid: "MZ\"1", name: name))
        #expect(json["streamSid"] as? String == "MZ\"1")
        #expect((json["mark"] as? NSDictionary)?["name"] as? String == name)
    }
}
