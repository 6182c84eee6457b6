import CallBridge
import Synchronization

/// The server's shutdown as the calls see it (issue 14, part 6): whether the server is draining, and the calls it
/// is carrying, so that the drain can wait for them and, when its time is up, ask each to say goodbye.
package final class CallDrain: Sendable {
    private struct State {
        var draining = false
        var sessions: [ObjectIdentifier: CallSession] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// From the first shutdown signal on: `/health/ready` answers `503`, and new calls are sent elsewhere.
    package var isDraining: Bool { state.withLock { $0.draining } }

    /// Calls with a media stream open now.
    package var liveCallCount: Int { state.withLock { $0.sessions.count } }

    /// Starts draining; returns how many calls are live.
    func begin() -> Int {
        state.withLock { state in
            state.draining = true
            return state.sessions.count
        }
    }

    /// Runs `body` with `session` counted as live.
    func tracking<Value>(_ session: CallSession, _ body: () async throws -> Value) async rethrows -> Value {
        let id = ObjectIdentifier(session)
        state.withLock { $0.sessions[id] = session }
        defer { state.withLock { $0.sessions[id] = nil } }
        return try await body()
    }

    /// Asks every live call to say goodbye and end, hanging up after `hangUpAfter`.
    func closeLiveCalls(hangUpAfter: Duration) async {
        let sessions = state.withLock { Array($0.sessions.values) }
        await withTaskGroup(of: Void.self) { group in
            for session in sessions {
                group.addTask { await session.closeForShutdown(hangUpAfter: hangUpAfter) }
            }
        }
    }
}
