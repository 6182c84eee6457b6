import Synchronization

/// A lock held across suspension points: one holder at a time, the others wait in order. For the SQLite
/// transaction connection, which two tasks must never use at once.
final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Runs `body` holding the lock.
    func withLock<Value: Sendable>(_ body: () async throws -> Value) async rethrows -> Value {
        await lock()
        defer { unlock() }
        return try await body()
    }

    private func lock() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state in
                guard state.locked else {
                    state.locked = true
                    return true
                }
                state.waiters.append(waiter)
                return false
            }
            if acquired { waiter.resume() }
        }
    }

    private func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.locked = false
                return nil
            }
            // The lock passes straight to the next waiter.
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
