/// A strict reader for the small JSON objects that carry audio, made for the relay's hot path: it allocates
/// nothing and hands each member's key and value back as byte ranges of the input.
///
/// It reads an object whose members are strings, numbers, `true`, `false`, `null`, or objects of the same (two
/// levels at most). Anything else — an array, an escape sequence, a byte outside printable ASCII, bad syntax,
/// trailing text — makes ``scan(_:_:)`` return `false`, and the caller falls back to a full JSON decoder, which
/// also gives the error. So the scanner never accepts text that a JSON decoder would refuse.
package enum FlatJSONScanner {
    package enum Kind: Sendable, Equatable {
        case string
        case number
        case literal
        case object
    }

    /// One member: ranges index the scanned bytes; a string's range excludes its quotes.
    package struct Member: Sendable, Equatable {
        /// The key of the object this member is in; `nil` at the top level.
        package var parent: Range<Int>?
        package var key: Range<Int>
        package var kind: Kind
        package var value: Range<Int>
    }

    /// Calls `visit` for each member, in order (an object's own members before the object itself), and says
    /// whether `bytes` was an object the scanner could read whole.
    package static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ visit: (Member) -> Void) -> Bool {
        var reader = Reader(bytes: bytes)
        reader.skipWhitespace()
        guard reader.readObject(parent: nil, depth: 0, visit) else { return false }
        reader.skipWhitespace()
        return reader.index == bytes.count
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        private static let quote = UInt8(ascii: "\"")

        mutating func readObject(parent: Range<Int>?, depth: Int, _ visit: (Member) -> Void) -> Bool {
            guard depth < 2, consume(UInt8(ascii: "{")) else { return false }
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return true }
            while true {
                skipWhitespace()
                guard let key = readString() else { return false }
                skipWhitespace()
                guard consume(UInt8(ascii: ":")) else { return false }
                skipWhitespace()
                guard index < bytes.count else { return false }
                let start = index
                let kind: Kind
                switch bytes[index] {
                case Self.quote:
                    guard let value = readString() else { return false }
                    visit(Member(parent: parent, key: key, kind: .string, value: value))
                    kind = .string
                case UInt8(ascii: "{"):
                    guard readObject(parent: key, depth: depth + 1, visit) else { return false }
                    kind = .object
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard readNumber() else { return false }
                    kind = .number
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    guard readLiteral() else { return false }
                    kind = .literal
                default:
                    return false
                }
                if kind != .string { visit(Member(parent: parent, key: key, kind: kind, value: start..<index)) }
                skipWhitespace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "}"))
            }
        }

        /// A string of printable ASCII without escapes; returns the range between the quotes.
        mutating func readString() -> Range<Int>? {
            guard consume(Self.quote) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == Self.quote {
                    index += 1
                    return start..<(index - 1)
                }
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            return nil
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
        mutating func readNumber() -> Bool {
            _ = consume(UInt8(ascii: "-"))
            if consume(UInt8(ascii: "0")) {
                // A leading zero stands alone.
            } else {
                guard digits() > 0 else { return false }
            }
            if consume(UInt8(ascii: ".")) {
                guard digits() > 0 else { return false }
            }
            if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
                if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
                guard digits() > 0 else { return false }
            }
            return true
        }

        mutating func readLiteral() -> Bool {
            for literal in ["true", "false", "null"] {
                let utf8 = literal.utf8
                guard bytes.count - index >= utf8.count,
                    UnsafeBufferPointer(rebasing: bytes[index..<(index + utf8.count)]).elementsEqual(utf8)
                else { continue }
                index += utf8.count
                return true
            }
            return false
        }

        private mutating func digits() -> Int {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
                default: return
                }
            }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether the bytes in `range` spell `text`.
    package func bytes(in range: Range<Int>, equal text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        return UnsafeBufferPointer(rebasing: self[range]).elementsEqual(
            UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        )
    }

    /// The bytes in `range` as a string (the scanner only passes printable ASCII).
    package func string(in range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[range]), as: UTF8.self)
    }

    /// A whole number written in `range`, as JSON digits; `nil` if it is not one `Int` can hold.
    package func integer(in range: Range<Int>) -> Int? {
        Int(string(in: range))
    }
}
