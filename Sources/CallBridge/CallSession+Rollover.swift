import CoreMetrics
import Logging
import RealtimeAPI
import Synchronization

/// Replacing a session before the service ends it (`../shared/protocols/realtime-resilience.md`, rollover).
extension CallSession {
    /// Once a rollover did not happen (no connection, or the call moved on), the next try waits this long.
    static let rolloverRetryDelay: Duration = .seconds(5)

    /// Replaces the current session, make before break: the new one is opened, configured and given the
    /// conversation while the old one still serves the call; at a turn boundary the caller's audio switches to it
    /// and the old one is closed. The caller hears no gap and no second greeting. If the call has moved on by the
    /// time the new session is ready, it is closed unused and the rollover tried again later.
    func rollOver(_ call: StartedCall) async {
        guard let connector, let prepared = state.withLock({ $0.machine?.rolloverEvents() }) else { return }
        let switched = Mutex<Int?>(nil)
        var outcome: SessionEnd = .callOver
        do {
            outcome = try await connector.connect(
                timeout: configuration.retryPolicy.attemptTimeout,
                logger: call.logger
            ) { writer, events in
                var iterator = events.makeAsyncIterator()
                for event in prepared.events { try await writer.send(event) }
                guard try await Self.configured(&iterator, writer: writer) else { return .callOver }
                guard let number = self.switchSession(to: writer, knowing: prepared.callIDs) else { return .callOver }
                switched.withLock { $0 = number }
                self.metrics.realtimeConnected.increment()
                call.logger.info("Realtime session rolled over", metadata: ["session": "\(number)"])
                self.metrics.sessionReplaced(.rollover)
                await call.journal?.record(.sessionReplaced(.rollover))
                do {
                    return try await self.relayEvents(&iterator, writer: writer, call: call, session: number)
                } catch {
                    return self.sessionFailed(number, error: error)
                }
            }
        } catch {
            call.logger.warning("Rollover could not open a new session", metadata: ["reason": "\(error)"])
        }
        guard switched.withLock({ $0 }) != nil else {
            let retryAt = ContinuousClock.now + Self.rolloverRetryDelay
            state.withLock { state in
                state.rollingOver = false
                state.rolloverAt = retryAt
            }
            return
        }
        await keepServing(after: outcome, connector: connector, call: call)
    }

    /// Under the lock: the new session takes over if the call is still at a turn boundary. Returns its number, or
    /// `nil` when it is not used. The old session is closed; its event loop then ends as replaced.
    private func switchSession(to writer: RealtimeEventWriter, knowing callIDs: Set<String>) -> Int? {
        let now = ContinuousClock.now
        let switched = state.withLock { state -> (number: Int, old: RealtimeEventWriter)? in
            guard case .open(let old) = state.phase, state.machine?.switchSession(knowing: callIDs) == true else {
                return nil
            }
            state.phase = .open(writer)
            state.session += 1
            state.rolloverAt = configuration.sessionMaxDuration.map { now + $0 }
            state.rollingOver = false
            return (state.session, old)
        }
        guard let switched else { return nil }
        Task { try? await switched.old.close() }
        return switched.number
    }

    /// Reads the new session's events until it confirms its configuration: `false` on an error, or when it has
    /// not within the usual time (the socket is closed, which ends the wait).
    private static func configured(
        _ iterator: inout RealtimeServerEvents.AsyncIterator,
        writer: RealtimeEventWriter
    ) async throws -> Bool {
        let watchdog = Task {
            try await Task.sleep(for: CallStateMachine.sessionUpdateTimeout)
            try? await writer.close()
        }
        defer { watchdog.cancel() }
        while let event = try await iterator.next() {
            switch event {
            case .sessionUpdated: return true
            case .error: return false
            default: continue
            }
        }
        return false
    }
}
