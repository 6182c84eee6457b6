import Synchronization

/// What a fake has seen, shared between its connections and the test that reads it.
package final class FakeRecorder<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    package init(_ value: Value) {
        storage = Mutex(value)
    }

    package var value: Value { storage.withLock { $0 } }

    package func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        storage.withLock { body(&$0) }
    }
}
