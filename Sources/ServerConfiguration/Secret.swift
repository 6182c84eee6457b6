/// A credential. Printing it, interpolating it or putting it in log metadata shows `********`, never the value.
package struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    package let value: String

    package init(_ value: String) {
        self.value = value
    }

    package var description: String { "********" }
    package var debugDescription: String { "********" }
}
