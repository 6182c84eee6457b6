/// A phone number as it may appear in logs: only its last four digits (`***2671`).
package struct MaskedPhoneNumber: Sendable, CustomStringConvertible {
    package let description: String

    package init(_ number: String?) {
        guard let number, !number.isEmpty else {
            description = "none"
            return
        }
        let digits = number.filter(\.isNumber)
        // Not a number (`anonymous`, `client:alice`): a name is as private as a number, so hide it whole.
        guard digits.count >= 4 else {
            description = "***"
            return
        }
        description = "***" + digits.suffix(4)
    }
}
