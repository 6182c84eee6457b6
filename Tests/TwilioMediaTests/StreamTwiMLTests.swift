import Foundation
import Testing

@testable import TwilioMedia

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: enough of a DOM to check TwiML structure.
final class XMLElementNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLElementNode] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    func child(_ name: String) -> XMLElementNode? { children.first { $0.name == name } }

    /// Parses `xml`; throws if it is not well-formed.
    static func parse(_ xml: String) throws -> XMLElementNode {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = delegate
        guard parser.parse(), let root = delegate.root else {
            throw XMLParseFailure(description: parser.parserError.map { "\($0)" } ?? "no root element")
        }
        return root
    }

    struct XMLParseFailure: Error, CustomStringConvertible {
        let description: String
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var root: XMLElementNode?
        var stack: [XMLElementNode] = []

        func parser(
            _ parser: XMLParser,
            didStartElement elementName: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String]
        ) {
            let node = XMLElementNode(name: elementName, attributes: attributes)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}

@Suite struct StreamTwiMLTests {
    @Test func connectsTheStreamWithParametersThenApologises() throws {
        let twiml = StreamTwiML(
            streamURL: "wss://voice.example.com/media-stream",
            parameters: [("callSid", "CA1"), ("from", "+14155552671")],
            apology: "Sorry, we can't talk right now."
        )
        let response = try XMLElementNode.parse(twiml.xml)
        #expect(response.name == "Response")
        #expect(response.children.map(\.name) == ["Connect", "Say", "Hangup"])
        let stream = try #require(response.child("Connect")?.child("Stream"))
        #expect(stream.attributes == ["url": "wss://voice.example.com/media-stream"])
        #expect(stream.children.map(\.name) == ["Parameter", "Parameter"])
        #expect(stream.children.map { $0.attributes } == [["name": "callSid", "value": "CA1"], ["name": "from", "value": "+14155552671"]])
        #expect(response.child("Say")?.text == "Sorry, we can't talk right now.")
    }

    @Test func everyValueIsEscaped() throws {
        let hostile = #"a&b<c>"d'e</Parameter><Hangup/>"#
        let twiml = StreamTwiML(
            streamURL: "wss://x.example/media-stream",
            parameters: [(hostile, hostile)],
            apology: hostile
        )
        #expect(!twiml.xml.contains("a&b"))
        let response = try XMLElementNode.parse(twiml.xml)
        let parameter = try #require(response.child("Connect")?.child("Stream")?.child("Parameter"))
        #expect(parameter.attributes == ["name": hostile, "value": hostile])
        #expect(response.child("Say")?.text == hostile)
        #expect(response.children.map(\.name) == ["Connect", "Say", "Hangup"])
    }
}

@Suite struct FormParametersTests {
    @Test func decodesPlusAndPercentOnce() {
        let form = FormParameters(formEncoded: "From=%2B14155552671&City=SAN+FRANCISCO&Token=%257B%2522a%2522&Empty=&Bare")
        #expect(form["From"] == "+14155552671")
        #expect(form["City"] == "SAN FRANCISCO")
        #expect(form["Token"] == "%7B%22a%22")
        #expect(form["Empty"] == "")
        #expect(form["Bare"] == "")
        #expect(form["Missing"] == nil)
    }

    @Test func keepsRepeatedNamesAndMalformedEscapes() {
        let form = FormParameters(formEncoded: "a=1&a=2&b=%zz&c=%4")
        #expect(form.fields.map(\.value) == ["1", "2", "%zz", "%4"])
        #expect(form["a"] == "1")
    }

    @Test func repeatedNamesAreSignedSortedAndDistinct() {
        let form = FormParameters([("b", "2"), ("a", "z"), ("a", "y"), ("a", "z")])
        #expect(TwilioSignatureValidator.stringToSign(url: "u", parameters: form) == "uayazb2")
    }
}

@Suite struct MaskedPhoneNumberTests {
    @Test func showsOnlyTheLastFourDigits() {
        #expect("\(MaskedPhoneNumber("+14155552671"))" == "***2671")
        #expect("\(MaskedPhoneNumber("anonymous"))" == "***")
        #expect("\(MaskedPhoneNumber("client:alice"))" == "***")
        #expect("\(MaskedPhoneNumber(nil))" == "none")
    }
}
