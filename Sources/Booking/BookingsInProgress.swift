import Synchronization

/// The bookings each call has under way in this process, so that the end of a call can wait for one that is still
/// being written (the caller hung up while the tool ran) before it looks for the call's jobs.
final class BookingsInProgress: Sendable {
    private struct Call {
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let calls = Mutex<[String: Call]>([:])

    /// Runs `body` counted as a booking under way for `callSid`.
    func running<Value>(for callSid: String?, _ body: () async throws -> Value) async rethrows -> Value {
        guard let callSid else { return try await body() }
        calls.withLock { $0[callSid, default: Call()].running += 1 }
        defer {
            let waiters = calls.withLock { calls -> [CheckedContinuation<Void, Never>] in
                calls[callSid]?.running -= 1
                guard calls[callSid]?.running == 0 else { return [] }
                return calls.removeValue(forKey: callSid)?.waiters ?? []
            }
            for waiter in waiters { waiter.resume() }
        }
        return try await body()
    }

    /// Returns once `callSid` has no booking under way.
    func waitUntilDone(_ callSid: String) async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let idle = calls.withLock { calls -> Bool in
                guard calls[callSid] != nil else { return true }
                calls[callSid]?.waiters.append(waiter)
                return false
            }
            if idle { waiter.resume() }
        }
    }
}
