/// The version `/health` reports and servers name themselves with.
package enum ServerVersion {
    package static let current = "0.1.0"
}
