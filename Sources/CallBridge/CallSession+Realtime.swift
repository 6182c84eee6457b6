import CoreMetrics
import Foundation
import Logging
import RealtimeAPI
import Synchronization
import TwilioMedia

/// The assistant's side: the Realtime session, from connecting to its end.
extension CallSession {
    /// Opens the Realtime session and relays the assistant until the session or the call ends.
    func converse(_ call: StartedCall) async {
        await host.realtimeSessionStarted()
        await converseUntilEnded(call)
        await host.realtimeSessionEnded()
    }

    private func converseUntilEnded(_ call: StartedCall) async {
        let logger = call.logger
        guard let connector else {
            logger.warning("No OPENAI_API_KEY: ending the stream so the caller hears the apology")
            await end(.failed, closingTwilio: true)
            return
        }
        let machine = await makeStateMachine(for: call)
        state.withLock { $0.machine = machine }
        do {
            try await connector.connect(logger: logger) { writer, events in
                self.metrics.realtimeConnected.increment()
                try await self.relayAssistant(writer: writer, events: events, call: call)
            }
        } catch  where !Task.isCancelled {
            let neverOpened = state.withLock { state in
                if case .connecting = state.phase { true } else { false }
            }
            if neverOpened { metrics.realtimeConnectionFailed.increment() }
            logger.error("Realtime session failed", metadata: ["reason": "\(error)"])
            await end(.failed, closingTwilio: true)
            return
        } catch {}
        // Cancelled means the call ended elsewhere, and that side closes the stream; otherwise the service closed
        // the session and the stream must be closed so Twilio moves on.
        if Task.isCancelled {
            logger.debug("Realtime session ended with the call")
        } else {
            logger.info("Realtime session ended; closing the media stream")
            await end(.callerHungUp, closingTwilio: true)
        }
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
            callControlTools: callControl
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

    /// The socket is open: configure the session, send the audio kept meanwhile, then relay every event.
    private func relayAssistant(
        writer: RealtimeEventWriter,
        events: RealtimeServerEvents,
        call: StartedCall
    ) async throws {
        let opened = state.withLock { state -> (setUp: [CallStateMachine.Action], buffered: [String])? in
            guard case .connecting(let buffered) = state.phase else { return nil }
            state.phase = .open(writer)
            return (state.machine?.realtimeConnected() ?? [], buffered)
        }
        guard let opened else { return }
        call.logger.info("Realtime session open")
        if configuration.silenceTimeout != nil || configuration.maxCallDuration != nil {
            enqueue(.watchAttention(call))
        }
        for action in opened.setUp { try await perform(action, writer: writer, call: call) }
        for audio in opened.buffered {
            try await writer.send(.inputAudioBufferAppend(audio: audio))
        }
        var iterator = events.makeAsyncIterator()
        while let next = try await iterator.nextWithArrival() {
            let (actions, speechStoppedAt) = receive(next.event, arrivedAt: next.arrivedAt)
            for action in actions {
                if case .runTool(let invocation) = action {
                    enqueue(.runTool(invocation, writer, call))
                } else {
                    try await perform(action, writer: writer, call: call)
                }
            }
            if case .outputAudioDelta = next.event, !actions.isEmpty {
                metrics.assistantAudioSent(arrivedAt: next.arrivedAt, speechStoppedAt: speechStoppedAt)
            }
        }
    }

    /// Feeds one service event to the state machine. Also returns, for the first assistant audio after the caller
    /// stopped talking, when they stopped.
    private func receive(
        _ event: RealtimeServerEvent,
        arrivedAt: ContinuousClock.Instant
    ) -> (actions: [CallStateMachine.Action], speechStoppedAt: ContinuousClock.Instant?) {
        let now = ContinuousClock.now
        return state.withLock { state in
            let actions = state.machine?.receive(event, at: now) ?? []
            return (actions, state.latency.observe(event, arrivedAt: arrivedAt, relayed: !actions.isEmpty))
        }
    }

    /// Does one action's I/O. Tool calls are started by the call's task group.
    func perform(_ action: CallStateMachine.Action, writer: RealtimeEventWriter, call: StartedCall) async throws {
        switch action {
        case .sendToRealtime(let event):
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
            default: break
            }
        case .runTool(let invocation):
            enqueue(.runTool(invocation, writer, call))
        case .controlCall(let tool, let callID):
            try await controlCall(tool, callID: callID, writer: writer, call: call)
        case .scheduleCallControlCheck(let delay):
            let generation = state.withLock { state in
                state.callControlCheck += 1
                return state.callControlCheck
            }
            enqueue(.checkCallControl(after: delay, generation: generation, writer, call))
        case .scheduleSessionCheck(let delay):
            enqueue(.checkSession(after: delay, call))
        case .failSession(let reason):
            await failSession(reason: reason, call: call)
        }
    }

    /// Ends a call whose session cannot serve it, with the apology rather than silence; logged once.
    private func failSession(reason: String, call: StartedCall) async {
        call.logger.error(
            "Realtime session cannot serve the call; ending it with the apology",
            metadata: ["reason": "\(reason)"]
        )
        metrics.realtimeSessionFailed.increment()
        await end(.failed, closingTwilio: true)
    }

    /// Every quarter second while the session is open: a caller gone silent is asked if they are still there (and
    /// in the end hung up on), and at the call's time limit the assistant is asked to wrap up, with a hang-up a
    /// minute later if it does not.
    func watchAttention(call: StartedCall) async {
        var wrapUpAt = configuration.maxCallDuration.map { ContinuousClock.now + $0 }
        var backstopAt: ContinuousClock.Instant?
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let now = ContinuousClock.now
            var reachedLimit = false
            let due = state.withLock { state -> ([CallStateMachine.Action], RealtimeEventWriter)? in
                guard let writer = state.phase.writer else { return nil }
                var actions: [CallStateMachine.Action] = []
                if let silence = configuration.silenceTimeout {
                    actions += state.machine?.attentionCheck(at: now, silence: silence) ?? []
                }
                if let at = wrapUpAt, now >= at {
                    wrapUpAt = nil
                    backstopAt = now + .seconds(60)
                    reachedLimit = true
                    actions += state.machine?.timeLimitReached() ?? []
                }
                if let at = backstopAt, now >= at {
                    backstopAt = nil
                    actions += state.machine?.timeLimitBackstop() ?? []
                }
                return actions.isEmpty ? nil : (actions, writer)
            }
            if reachedLimit { call.logger.info("Call time limit reached; asking the assistant to wrap up") }
            guard !Task.isCancelled, let (actions, writer) = due else { continue }
            if actions.contains(where: \.createsResponse), !reachedLimit {
                call.logger.info("The caller has been silent; the assistant checks on them")
            }
            await performQuietly(actions, writer: writer, call: call)
        }
    }

    /// The service has had time to take the session's configuration: if it has not, the call ends with the
    /// apology instead of silence.
    func checkSession(after delay: Duration, call: StartedCall) async {
        try? await Task.sleep(for: delay)
        guard !Task.isCancelled else { return }
        let actions = state.withLock { $0.machine?.sessionCheckDue() ?? [] }
        for case .failSession(let reason) in actions {
            await failSession(reason: reason, call: call)
        }
    }

    /// Does `actions` from outside the Realtime event loop (a mark echo, a timer, a tool's answer), where a failed
    /// send to the service needs no more than a log line: the event loop sees the closed socket itself.
    func performQuietly(_ actions: [CallStateMachine.Action], writer: RealtimeEventWriter, call: StartedCall) async {
        do {
            for action in actions { try await perform(action, writer: writer, call: call) }
        } catch {
            call.logger.debug("Realtime event not sent", metadata: ["reason": "\(error)"])
        }
    }
}
