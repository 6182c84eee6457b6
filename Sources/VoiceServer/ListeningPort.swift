import Synchronization

/// The port a listener got, once it listens (configured as 0, it is picked then).
package final class ListeningPort: Sendable {
    private let port = Mutex<Int?>(nil)

    package init() {}

    package var value: Int? { port.withLock { $0 } }

    func listening(on port: Int?) {
        self.port.withLock { $0 = port }
    }
}
