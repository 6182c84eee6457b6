import NIOCore
import Synchronization

/// The benchmark's fault mode (issue 14): every Realtime session opened before the measurement is dropped once, at
/// a random moment in its first half, as a failing service or network would drop it (the TCP connection closes,
/// no WebSocket close). The sessions the server opens to replace them are left alone.
final class SessionDropper: Sendable {
    private struct State {
        var collecting = true
        var sessions: [any Channel] = []
    }

    private let state = Mutex(State())

    /// A session opened: kept for dropping if the measurement has not started.
    func sessionOpened(_ channel: any Channel) {
        state.withLock { state in
            if state.collecting { state.sessions.append(channel) }
        }
    }

    /// The measurement starts: each session kept is dropped once within `window`. Returns how many will be.
    func dropAll(within window: TimeAmount) -> Int {
        let sessions = state.withLock { state in
            state.collecting = false
            defer { state.sessions = [] }
            return state.sessions
        }
        for channel in sessions {
            let delay = TimeAmount.nanoseconds(Int64.random(in: 0...max(window.nanoseconds, 1)))
            channel.eventLoop.scheduleTask(in: delay) { channel.close(promise: nil) }
        }
        return sessions.count
    }
}
