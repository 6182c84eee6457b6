/// The fields of an `application/x-www-form-urlencoded` body, decoded exactly once, in the order they were sent.
///
/// Twilio signs the decoded values, so decoding twice (for example turning `CallToken`'s `%7B` into `{` and then
/// decoding that again) breaks the signature. Repeated names are kept.
package struct FormParameters: Sendable, Equatable {
    package private(set) var fields: [(name: String, value: String)]

    package init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    package init(_ dictionary: [String: String]) {
        self.fields = dictionary.map { (name: $0.key, value: $0.value) }
    }

    /// Decodes a form body. `+` is a space, `%XX` is a byte; a malformed escape is kept as written, as
    /// Python's `parse_qsl` (which Twilio's own validator uses) does.
    package init(formEncoded body: some StringProtocol) {
        var fields: [(name: String, value: String)] = []
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.formDecoded(parts[0])
            let value = parts.count > 1 ? Self.formDecoded(parts[1]) : ""
            fields.append((name: name, value: value))
        }
        self.fields = fields
    }

    /// The first value sent for `name`, if any.
    package subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    package static func == (lhs: FormParameters, rhs: FormParameters) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    private static func formDecoded(_ text: some StringProtocol) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2,
                    let high = hexValue(iterator[iterator.startIndex]),
                    let low = hexValue(iterator[iterator.startIndex + 1])
                {
                    bytes.append(high << 4 | low)
                    iterator.removeFirst(2)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension FormParameters {
    /// The fields as an `application/x-www-form-urlencoded` body: unreserved characters as they are, everything
    /// else percent-encoded (space as `%20`, which every decoder reads).
    package var formEncoded: String {
        fields.map { Self.percentEncoded($0.name) + "=" + Self.percentEncoded($0.value) }.joined(separator: "&")
    }

    private static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return encoded
    }
}
