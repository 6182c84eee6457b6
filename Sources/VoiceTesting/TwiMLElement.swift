import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed TwiML (XML) element: enough of a DOM to read a `<Response>` the way Twilio would.
///
/// Built once by ``parse(_:)`` and never changed afterwards.
package final class TwiMLElement: @unchecked Sendable {
    package let name: String
    package let attributes: [String: String]
    // Mutated only while `parse` builds the tree; read-only once it returns, so sharing across tasks is safe.
    package private(set) var children: [TwiMLElement] = []
    package private(set) var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    package func child(_ name: String) -> TwiMLElement? { children.first { $0.name == name } }

    /// Parses `xml`; throws if it is not well-formed.
    package static func parse(_ xml: String) throws -> TwiMLElement {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = delegate
        guard parser.parse(), let root = delegate.root else {
            throw XMLParseFailure(description: parser.parserError.map { "\($0)" } ?? "no root element")
        }
        return root
    }

    package struct XMLParseFailure: Error, CustomStringConvertible {
        package let description: String
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var root: TwiMLElement?
        var stack: [TwiMLElement] = []

        func parser(
            _ parser: XMLParser,
            didStartElement elementName: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String]
        ) {
            let node = TwiMLElement(name: elementName, attributes: attributes)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(
            _ parser: XMLParser,
            didEndElement elementName: String,
            namespaceURI: String?,
            qualifiedName: String?
        ) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}
