import FlatJSON
import Testing

/// The scanner reads flat objects whole and refuses anything it cannot read exactly, so a caller can fall back.
struct FlatJSONScannerTests {
    /// The members `text` scans to, as (parent, key, kind, value) strings; `nil` when the scanner refuses it.
    static func scan(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { bytes in
            var members: [String] = []
            let read = FlatJSONScanner.scan(bytes) { member in
                let parent = member.parent.map { bytes.string(in: $0) } ?? "-"
                members.append(
                    "\(parent).\(bytes.string(in: member.key))=\(member.kind):\(bytes.string(in: member.value))"
                )
            }
            return read ? members : nil
        }
    }

    @Test func aTwilioMediaMessageIsReadMemberByMemberInnerFirst() {
        let members = Self.scan(
            #"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"2","payload":"//8A"},"streamSid":"MZ1"}"#
        )
        #expect(
            members == [
                "-.event=string:media", "-.sequenceNumber=string:3", "media.track=string:inbound",
                "media.chunk=string:2", "media.payload=string://8A",
                "-.media=object:{\"track\":\"inbound\",\"chunk\":\"2\",\"payload\":\"//8A\"}",
                "-.streamSid=string:MZ1",
            ]
        )
    }

    @Test func numbersLiteralsAndWhitespaceAreRead() {
        #expect(
            Self.scan(" { \"a\" : 12 , \"b\": true, \"c\": null } ") == [
                "-.a=number:12", "-.b=literal:true", "-.c=literal:null",
            ]
        )
        #expect(Self.scan("{}") == [])
    }

    @Test(arguments: [
        #"{"a":[1,2]}"#,  // an array
        #"{"a":"x\"y"}"#,  // an escape
        #"{"a":{"b":{"c":1}}}"#,  // three levels
        #"{"a":1} trailing"#,  // text after the object
        #"{"a":1"#,  // cut short
        #"{"a" 1}"#,  // no colon
        "{\"a\":\"caf\u{e9}\"}",  // a byte outside printable ASCII
        "[]",
        "",
    ])
    func anythingElseIsRefusedSoTheCallerFallsBack(text: String) {
        #expect(Self.scan(text) == nil)
    }

    @Test func integersAreReadWhereTheyFit() {
        var text = #"{"n":42,"big":99999999999999999999999}"#
        let values = text.withUTF8 { bytes in
            var values: [Int?] = []
            _ = FlatJSONScanner.scan(bytes) { values.append(bytes.integer(in: $0.value)) }
            return values
        }
        #expect(values == [42, nil])
    }
}
