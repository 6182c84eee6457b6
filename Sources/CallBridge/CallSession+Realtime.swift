import CoreMetrics
import Foundation
import Logging
import RealtimeAPI
import Synchronization
import TwilioMedia

/// The assistant's side: the call's Realtime sessions, from connecting to the end of the call.
///
/// A call has one session at a time. The first is opened with retries inside a budget; one that is lost mid-call
/// (the socket drops, or the service ends it with an error a new session may not have) is replaced within about a
/// second, with the conversation restored on the new one; and before the service's time limit the session is rolled
/// over at a turn boundary, the new one opened and restored before the old one is closed.
extension CallSession {
    /// How a session of the call ended.
    enum SessionEnd: Sendable {
        /// The call is over (or ending elsewhere): nothing to do.
        case callOver
        /// A newer session took over (rollover).
        case replaced
        /// The session is gone but another may serve the call.
        case lost(SessionReplacement, reason: String)
        /// No session could be opened, or none ever will: the call ends with the apology.
        case unusable(reason: String)
    }

    /// Opens the call's first Realtime session and keeps the call served until it ends: a lost session is replaced,
    /// at most ``maximumReplacements`` times in ``replacementWindow``.
    /// The host counts the call's session from here until the call is over (``run(inbound:)`` tells it), however
    /// many sockets serve it.
    func converse(_ call: StartedCall) async {
        state.withLock { $0.assistantCounted = true }
        await host.realtimeSessionStarted()
        guard let connector else {
            call.logger.warning("No OPENAI_API_KEY: ending the stream so the caller hears the apology")
            await end(.failed, closingTwilio: true)
            return
        }
        let machine = await makeStateMachine(for: call)
        state.withLock { $0.machine = machine }
        if configuration.silenceTimeout != nil || configuration.maxCallDuration != nil
            || configuration.sessionMaxDuration != nil
        {
            enqueue(.watchAttention(call))
        }
        await keepServing(after: await openSession(connector, call: call), connector: connector, call: call)
    }

    /// After a session ended with `outcome`: replaces it while it was lost and the call may go on, or ends the
    /// call with the apology when no session can serve it.
    func keepServing(after outcome: SessionEnd, connector: RealtimeConnector, call: StartedCall) async {
        var outcome = outcome
        while true {
            switch outcome {
            case .callOver, .replaced:
                return
            case .unusable(let reason):
                await failSession(reason: reason, call: call)
                return
            case .lost(let why, let reason):
                guard await sessionLost(why, reason: reason, call: call) else { return }
                outcome = await openSession(connector, call: call)
            }
        }
    }

    /// Most sessions a call replaces in ``replacementWindow``; one more and the call ends with the apology.
    static let maximumReplacements = 3
    static let replacementWindow: Duration = .seconds(300)

    /// The current session was lost: the call waits for the next one, keeping the caller's audio, unless it has
    /// already lost too many. `false` when the call is over.
    private func sessionLost(_ why: SessionReplacement, reason: String, call: StartedCall) async -> Bool {
        let now = ContinuousClock.now
        let allowed = state.withLock { state -> Bool? in
            guard !state.phase.isOver else { return nil }
            state.replacements.removeAll { now - $0 > Self.replacementWindow }
            guard state.replacements.count < Self.maximumReplacements else { return false }
            state.replacements.append(now)
            state.phase = .connecting(bufferedAudio: [])
            state.machine?.sessionLost()
            return true
        }
        switch allowed {
        case nil:
            return false
        case false:
            await failSession(
                reason: "\(Self.maximumReplacements) sessions lost within \(Self.replacementWindow); last: \(reason)",
                call: call
            )
            return false
        case true:
            call.logger.warning(
                "Realtime session lost; opening a new one and restoring the conversation",
                metadata: ["why": "\(why.rawValue)", "reason": "\(reason)"]
            )
            metrics.sessionReplaced(why)
            await call.journal?.record(.sessionReplaced(why))
            return true
        }
    }

    /// Connects, with retries inside the policy's budget, and relays the session until it ends.
    private func openSession(_ connector: RealtimeConnector, call: StartedCall) async -> SessionEnd {
        let policy = configuration.retryPolicy
        let started = ContinuousClock.now
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                return try await connector.connect(timeout: policy.attemptTimeout, logger: call.logger) {
                    writer,
                    events in
                    self.metrics.realtimeConnected.increment()
                    return try await self.relay(writer: writer, events: events, call: call)
                }
            } catch let error as RealtimeConnectError {
                metrics.realtimeConnectionFailed.increment()
                // Logged once, at `error`, by the call's failure: a key the service refuses fails every retry too.
                guard error.isRetryable else { return .unusable(reason: "\(error); not retried") }
                let delay = policy.delay(afterAttempt: attempt)
                guard ContinuousClock.now + delay - started < policy.budget else {
                    return .unusable(reason: "\(error), after \(attempt) attempts")
                }
                call.logger.warning(
                    "Realtime connection failed; trying again",
                    metadata: ["reason": "\(error)", "attempt": "\(attempt)", "retry_in": "\(delay)"]
                )
                try? await Task.sleep(for: delay)
            } catch let closed as RealtimeSessionClosed {
                return Task.isCancelled ? .callOver : .lost(.dropped, reason: "\(closed)")
            } catch {
                // Not a connection error: `relay` returns how its session ended rather than throw.
                return Task.isCancelled ? .callOver : .unusable(reason: "\(error)")
            }
        }
        return .callOver
    }

    /// The session's configuration: the instructions for this caller, and the tools offered.
    private func makeStateMachine(for call: StartedCall) async -> CallStateMachine {
        var definitions: [ToolDefinition]
        do {
            definitions = try await tools.tools()
        } catch {
            call.logger.error("Tools unavailable; the call goes on without them", metadata: ["reason": "\(error)"])
            definitions = []
        }
        let callControl = configuration.callControlTools
        definitions.removeAll { CallControlTool(rawValue: $0.name).map(callControl.contains) == true }
        definitions += CallControlTool.allCases.filter(callControl.contains).map(\.definition)
        let now = Date()
        let instructions = AssistantInstructions(
            businessName: configuration.businessName,
            timeZone: configuration.timeZone,
            callerNumber: call.callerNumber,
            callControlTools: callControl,
            recorded: configuration.recorded
        )
        return CallStateMachine(
            streamSid: call.start.streamSid,
            session: RealtimeSessionConfiguration(
                instructions: instructions.render(now: now),
                voice: configuration.voice,
                transcriptionModel: configuration.transcriptionModel,
                tools: definitions.map {
                    RealtimeFunctionTool(name: $0.name, description: $0.description, parameters: $0.parameters)
                }
            ),
            greetingInstructions: instructions.greeting(now: now),
            toolsWithSideEffects: Set(definitions.filter(\.hasSideEffects).map(\.name)),
            callControlTools: callControl
        )
    }

    /// The socket is open: configure the session (and restore the conversation on a replacement), send the audio
    /// kept meanwhile, then relay every event.
    private func relay(
        writer: RealtimeEventWriter,
        events: RealtimeServerEvents,
        call: StartedCall
    ) async throws -> SessionEnd {
        let now = ContinuousClock.now
        let opened = state.withLock {
            state -> (number: Int, setUp: [CallStateMachine.Action], buffered: [String], first: Bool)? in
            guard case .connecting(let buffered) = state.phase else { return nil }
            state.phase = .open(writer)
            state.session += 1
            state.rolloverAt = configuration.sessionMaxDuration.map { now + $0 }
            return (state.session, state.machine?.realtimeConnected() ?? [], buffered, state.session == 1)
        }
        guard let opened else { return .callOver }
        call.logger.info(
            opened.first ? "Realtime session open" : "Realtime session open; conversation restored",
            metadata: ["session": "\(opened.number)"]
        )
        if let end = try await perform(opened.setUp, writer: writer, call: call, session: opened.number) {
            return end
        }
        for audio in opened.buffered {
            try await writer.send(.inputAudioBufferAppend(audio: audio))
        }
        // The kept audio is out: the caller's next frames may go straight to this session.
        state.withLock { state in
            if state.session == opened.number { state.flushedSession = opened.number }
        }
        var iterator = events.makeAsyncIterator()
        do {
            return try await relayEvents(&iterator, writer: writer, call: call, session: opened.number)
        } catch {
            return sessionFailed(opened.number, error: error)
        }
    }

    /// How session `number` ended when its socket failed: a lost session only if it was still the call's.
    func sessionFailed(_ number: Int, error: any Error) -> SessionEnd {
        if Task.isCancelled || state.withLock({ $0.phase.isOver }) { return .callOver }
        if state.withLock({ $0.session != number }) { return .replaced }
        return .lost(.dropped, reason: "\(error)")
    }

    /// Relays the session's events until the socket closes, the session is replaced, or it must be.
    func relayEvents(
        _ iterator: inout RealtimeServerEvents.AsyncIterator,
        writer: RealtimeEventWriter,
        call: StartedCall,
        session number: Int
    ) async throws -> SessionEnd {
        while let next = try await iterator.nextWithArrival() {
            guard let (actions, speechStoppedAt) = receive(next.event, arrivedAt: next.arrivedAt, session: number)
            else { return .replaced }
            if case .sessionCreated(let expiresAt?) = next.event { serviceExpires(at: expiresAt, call: call) }
            if let end = try await perform(actions, writer: writer, call: call, session: number) { return end }
            if case .outputAudioDelta = next.event, !actions.isEmpty {
                let now = ContinuousClock.now
                metrics.assistantAudioSent(arrivedAt: next.arrivedAt, speechStoppedAt: speechStoppedAt, now: now)
                if let speechStoppedAt {
                    let waited = Self.milliseconds(now - speechStoppedAt)
                    await call.journal?.record(.responseLatency(milliseconds: waited))
                }
            }
        }
        if Task.isCancelled || state.withLock({ $0.phase.isOver }) { return .callOver }
        if state.withLock({ $0.session != number }) { return .replaced }
        return .lost(.dropped, reason: "the service closed the socket")
    }

    /// Does the actions of the session numbered `number`; a tool call is started in the call's task group. Returns
    /// how the session ends when an action ends it.
    private func perform(
        _ actions: [CallStateMachine.Action],
        writer: RealtimeEventWriter,
        call: StartedCall,
        session number: Int
    ) async throws -> SessionEnd? {
        for action in actions {
            switch action {
            case .replaceSession(let reason):
                let why: SessionReplacement = reason.hasPrefix("session_expired") ? .sessionExpired : .error
                return .lost(why, reason: reason)
            case .scheduleSessionCheck(let delay):
                enqueue(.checkSession(after: delay, session: number, call))
            default:
                try await perform(action, writer: writer, call: call)
            }
        }
        return nil
    }

    /// The service said when it will end the session: the rollover comes well before then.
    private func serviceExpires(at expiresAt: Int, call: StartedCall) {
        let remaining = Date(timeIntervalSince1970: Double(expiresAt)).timeIntervalSinceNow
        let margin = min(60, remaining / 2)
        let at = ContinuousClock.now + .milliseconds(Int((remaining - margin) * 1000))
        state.withLock { state in
            state.rolloverAt = min(state.rolloverAt ?? at, at)
        }
        call.logger.debug("The service set the session's end", metadata: ["seconds_left": "\(Int(remaining))"])
    }

    /// Feeds one service event of session `number` to the state machine: `nil` if a newer session has taken over.
    /// Also returns, for the first assistant audio after the caller stopped talking, when they stopped.
    private func receive(
        _ event: RealtimeServerEvent,
        arrivedAt: ContinuousClock.Instant,
        session number: Int
    ) -> (actions: [CallStateMachine.Action], speechStoppedAt: ContinuousClock.Instant?)? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard state.session == number else { return nil }
            let actions = state.machine?.receive(event, at: now) ?? []
            return (actions, state.latency.observe(event, arrivedAt: arrivedAt, relayed: !actions.isEmpty))
        }
    }

    /// Does one action's I/O. Tool calls are started by the call's task group. With no session open (`writer` is
    /// `nil` while a lost one is replaced), events for the service are dropped: the restore carries what matters.
    func perform(_ action: CallStateMachine.Action, writer: RealtimeEventWriter?, call: StartedCall) async throws {
        switch action {
        case .sendToRealtime(let event):
            guard let writer else {
                call.logger.debug("No Realtime session; event dropped", metadata: ["type": "\(event.type)"])
                return
            }
            try await writer.send(event)
        case .sendToTwilio(let message):
            do {
                try await twilio.send(message)
            } catch {
                call.logger.debug("Twilio stream closed; message dropped", metadata: ["reason": "\(error)"])
            }
        case .report(let report):
            CallLog(logger: call.logger).log(report)
            switch report {
            case .callerSaid(let text): await call.journal?.record(.callerSaid(text))
            case .assistantSaid(let text): await call.journal?.record(.assistantSaid(text))
            case .usage(_, let usage): await call.journal?.record(.usage(usage))
            case .bargeIn(_, let heard): await call.journal?.record(.bargeIn(heardMilliseconds: heard))
            default: break
            }
        case .runTool(let invocation):
            enqueue(.runTool(invocation, call))
        case .controlCall(let tool, let callID):
            try await controlCall(tool, callID: callID, writer: writer, call: call)
        case .scheduleCallControlCheck(let delay):
            let generation = state.withLock { state in
                state.callControlCheck += 1
                return state.callControlCheck
            }
            enqueue(.checkCallControl(after: delay, generation: generation, call))
        case .scheduleSessionCheck(let delay):
            let number = state.withLock { $0.session }
            enqueue(.checkSession(after: delay, session: number, call))
        case .failSession(let reason):
            await failSession(reason: reason, call: call)
        case .replaceSession(let reason):
            // Outside the session's own event loop (a timer, a tool's answer): that loop sees the error itself.
            call.logger.debug("Session replacement asked outside its event loop", metadata: ["reason": "\(reason)"])
        }
    }

    /// Ends a call whose session cannot serve it, with the apology rather than silence; logged once.
    func failSession(reason: String, call: StartedCall) async {
        guard !state.withLock({ $0.phase.isOver }) else { return }
        call.logger.error(
            "Realtime session cannot serve the call; ending it with the apology",
            metadata: ["reason": "\(reason)"]
        )
        metrics.realtimeSessionFailed.increment()
        await call.journal?.record(.failed(reason: reason))
        await end(.failed, closingTwilio: true)
    }

    /// The service has had time to take session `number`'s configuration: if it has not, the call ends with the
    /// apology instead of silence.
    func checkSession(after delay: Duration, session number: Int, call: StartedCall) async {
        try? await Task.sleep(for: delay)
        guard !Task.isCancelled else { return }
        // Only while that session is the call's and open: not for one replaced since, nor while its replacement
        // is still connecting (that one has its own check).
        let actions = state.withLock { state in
            state.session == number && state.phase.writer != nil ? state.machine?.sessionCheckDue() ?? [] : []
        }
        for case .failSession(let reason) in actions {
            await failSession(reason: reason, call: call)
        }
    }

    /// Does `actions` on the current session from outside its event loop (a mark echo, a timer, a tool's answer),
    /// where a failed send needs no more than a log line: the event loop sees the closed socket itself.
    func performQuietly(_ actions: [CallStateMachine.Action], call: StartedCall) async {
        let writer = state.withLock { $0.phase.writer }
        do {
            for action in actions { try await perform(action, writer: writer, call: call) }
        } catch {
            call.logger.debug("Realtime event not sent", metadata: ["reason": "\(error)"])
        }
    }
}
