import CoreMetrics
import Foundation
import Logging
import RealtimeAPI
import Synchronization
import TwilioMedia

/// One call: a Twilio media stream bridged to one Realtime session.
///
/// Two parties drive it. The media-stream reader hands every Twilio message to ``receiveFromTwilio(_:)``;
/// ``runRealtime()`` owns the Realtime socket and the call's tool tasks. The decisions live in a
/// ``CallStateMachine`` behind a lock; the I/O each decision asks for is done by the party that fed the event,
/// outside the lock, in the order returned. When the Realtime side ends, for whatever reason, it closes the Twilio
/// stream; when the Twilio side ends, its owner cancels ``runRealtime()``.
package final class CallSession: Sendable {
    package struct Configuration: Sendable {
        package var businessName: String
        package var timeZone: TimeZone
        package var voice: String
        package var transcriptionModel: String?
        /// How long a tool call may take before the model is told it failed.
        package var toolDeadline: Duration
        /// `end_call` and `transfer_to_human`, offered beside the provider's tools where they can work.
        package var callControlTools: Set<CallControlTool>

        package init(
            businessName: String,
            timeZone: TimeZone,
            voice: String,
            transcriptionModel: String?,
            toolDeadline: Duration,
            callControlTools: Set<CallControlTool> = []
        ) {
            self.businessName = businessName
            self.timeZone = timeZone
            self.voice = voice
            self.transcriptionModel = transcriptionModel
            self.toolDeadline = toolDeadline
            self.callControlTools = callControlTools
        }
    }

    /// Caller audio that arrives while the Realtime socket is still opening is kept, up to this many frames
    /// (3 s of 20 ms frames); older frames are dropped beyond it.
    package static let maximumBufferedFrames = 150

    private struct State: Sendable {
        var machine: CallStateMachine?
        var writer: RealtimeEventWriter?
        var bufferedAudio: [String] = []
        var finished = false
        /// Hangs up or transfers if the last marks of the goodbye never come back.
        var callControlCheck: Task<Void, Never>?
        /// Set when the session itself ends the call, or fails.
        var ending: CallEnding?
        /// When the service last said the caller stopped talking, until the assistant's next audio is sent.
        var speechStoppedAt: ContinuousClock.Instant?
    }

    private let start: TwilioInboundMessage.Start
    private let callerNumber: String?
    private let configuration: Configuration
    private let connector: RealtimeConnector?
    private let tools: any ToolProvider
    private let callController: (any CallController)?
    private let journal: (any CallJournal)?
    private let twilio: any TwilioStreamWriter
    private let metrics: CallMetrics
    private let logger: Logger
    private let state = Mutex(State())

    /// - Parameters:
    ///   - connector: `nil` when no API key is configured: the call ends at once, so the caller hears the apology.
    ///   - callController: hangs up and transfers through Twilio's REST API; `nil` without credentials, when
    ///     `end_call` only closes the stream.
    ///   - logger: should carry the call's `call_sid` and `stream_sid`.
    package init(
        start: TwilioInboundMessage.Start,
        callerNumber: String?,
        configuration: Configuration,
        connector: RealtimeConnector?,
        tools: any ToolProvider,
        callController: (any CallController)? = nil,
        journal: (any CallJournal)? = nil,
        twilio: any TwilioStreamWriter,
        metrics: CallMetrics = .disabled,
        logger: Logger
    ) {
        self.start = start
        self.callerNumber = callerNumber
        self.configuration = configuration
        self.connector = connector
        self.tools = tools
        self.callController = callController
        self.journal = journal
        self.twilio = twilio
        self.metrics = metrics
        self.logger = logger
    }

    /// Whether the Realtime side has ended (and closed the Twilio stream).
    package var isFinished: Bool { state.withLock { $0.finished } }

    // MARK: Twilio side

    /// What became of a message from Twilio.
    package enum TwilioMessageHandling: Sendable, Equatable {
        /// Caller audio written to the Realtime session.
        case relayed
        /// Caller audio kept until the Realtime session opens.
        case buffered
        /// Caller audio that could not be relayed: the session is over or its socket failed.
        case dropped
        /// A mark, a key press or another event, handled.
        case handled
    }

    /// Handles a `media`, `mark` or `dtmf` message from Twilio.
    @discardableResult
    package func receiveFromTwilio(_ message: TwilioInboundMessage) async -> TwilioMessageHandling {
        switch message {
        case .media(let media):
            let writer = state.withLock { state -> RealtimeEventWriter? in
                guard let writer = state.writer else {
                    guard !state.finished else { return nil }
                    state.bufferedAudio.append(media.payload)
                    if state.bufferedAudio.count > Self.maximumBufferedFrames { state.bufferedAudio.removeFirst() }
                    return nil
                }
                return writer
            }
            guard let writer else { return isFinished ? .dropped : .buffered }
            do {
                try await writer.send(.inputAudioBufferAppend(audio: media.payload))
                return .relayed
            } catch {
                logger.debug("Caller audio not relayed", metadata: ["reason": "\(error)"])
                return .dropped
            }
        case .mark(let mark):
            let now = ContinuousClock.now
            let (actions, writer) = state.withLock { ($0.machine?.markEchoed(mark.name, at: now) ?? [], $0.writer) }
            guard !actions.isEmpty, let writer else { return .handled }
            await performQuietly(actions, writer: writer)
        case .dtmf(let dtmf):
            logger.info("Caller pressed a key", metadata: ["digit": "\(dtmf.digit)"])
        case .connected, .start, .stop, .unknown:
            break
        }
        return .handled
    }

    // MARK: Realtime side

    /// Opens the Realtime session and runs the call until either side ends it; then closes the Twilio stream.
    package func runRealtime() async {
        await converseUntilEnded()
        let ending = state.withLock { state -> CallEnding in
            state.finished = true
            state.callControlCheck?.cancel()
            state.callControlCheck = nil
            return state.ending ?? .callerHungUp
        }
        // Written even though the call's task is being cancelled: the outcome must not be lost with it.
        if let journal {
            await Task { await journal.record(.ended(ending)) }.value
        }
    }

    private func converseUntilEnded() async {
        guard let connector else {
            state.withLock { $0.ending = .failed }
            logger.warning("No OPENAI_API_KEY: ending the stream so the caller hears the apology")
            await finish()
            return
        }
        var definitions: [ToolDefinition]
        do {
            definitions = try await tools.tools()
        } catch {
            logger.error("Tools unavailable; the call goes on without them", metadata: ["reason": "\(error)"])
            definitions = []
        }
        let callControl = configuration.callControlTools
        definitions.removeAll { CallControlTool(rawValue: $0.name).map(callControl.contains) == true }
        definitions += CallControlTool.allCases.filter(callControl.contains).map(\.definition)
        let now = Date()
        let instructions = AssistantInstructions(
            businessName: configuration.businessName,
            timeZone: configuration.timeZone,
            callerNumber: callerNumber,
            callControlTools: callControl
        )
        let machine = CallStateMachine(
            streamSid: start.streamSid,
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

        do {
            try await connector.connect(logger: logger) { writer, events in
                self.metrics.realtimeConnected.increment()
                try await self.converse(machine: machine, writer: writer, events: events)
            }
        } catch  where !Task.isCancelled {
            if state.withLock({ $0.writer == nil }) { metrics.realtimeConnectionFailed.increment() }
            state.withLock { $0.ending = $0.ending ?? .failed }
            logger.error("Realtime session failed", metadata: ["reason": "\(error)"])
        } catch {}
        // Cancelled means the Twilio side ended the call and is closing the stream itself, perhaps with an error
        // code; otherwise the Realtime side ended and the stream must be closed so Twilio moves on.
        if Task.isCancelled {
            logger.debug("Realtime session ended with the media stream")
            state.withLock { $0.writer = nil }
        } else {
            logger.info("Realtime session ended; closing the media stream")
            await finish()
        }
    }

    private func converse(
        machine: CallStateMachine,
        writer: RealtimeEventWriter,
        events: RealtimeServerEvents
    ) async throws {
        let (setUp, buffered) = state.withLock { state in
            state.machine = machine
            state.writer = writer
            defer { state.bufferedAudio = [] }
            return (state.machine?.realtimeConnected() ?? [], state.bufferedAudio)
        }
        logger.info("Realtime session open")
        for action in setUp { try await perform(action, writer: writer) }
        for audio in buffered {
            try await writer.send(.inputAudioBufferAppend(audio: audio))
        }
        try await withThrowingDiscardingTaskGroup { toolTasks in
            var iterator = events.makeAsyncIterator()
            while let next = try await iterator.nextWithArrival() {
                let event = next.event
                let arrivedAt = next.arrivedAt
                let (actions, speechStoppedAt) = receive(event, arrivedAt: arrivedAt)
                for action in actions {
                    if case .runTool(let invocation) = action {
                        toolTasks.addTask { await self.runTool(invocation, writer: writer) }
                    } else {
                        try await perform(action, writer: writer)
                    }
                }
                if case .outputAudioDelta = event, !actions.isEmpty {
                    let sentAt = ContinuousClock.now
                    metrics.assistantAudioRelay.recordElapsed(since: arrivedAt, now: sentAt)
                    if let speechStoppedAt {
                        metrics.responseLatency.recordElapsed(since: speechStoppedAt, now: sentAt)
                    }
                }
            }
            // The service closed the session: the call is over, and so are its tool calls.
            toolTasks.cancelAll()
        }
    }

    /// Feeds one service event to the state machine. Also returns, for the first assistant audio after the
    /// caller stopped talking, when they stopped.
    private func receive(
        _ event: RealtimeServerEvent,
        arrivedAt: ContinuousClock.Instant
    ) -> (actions: [CallStateMachine.Action], speechStoppedAt: ContinuousClock.Instant?) {
        let now = ContinuousClock.now
        return state.withLock { state in
            let actions = state.machine?.receive(event, at: now) ?? []
            switch event {
            case .speechStopped:
                state.speechStoppedAt = arrivedAt
                return (actions, nil)
            case .outputAudioDelta where !actions.isEmpty:
                defer { state.speechStoppedAt = nil }
                return (actions, state.speechStoppedAt)
            default:
                return (actions, nil)
            }
        }
    }

    /// Does one action's I/O. Tool calls are started by ``converse``, which owns the tool tasks.
    private func perform(_ action: CallStateMachine.Action, writer: RealtimeEventWriter) async throws {
        switch action {
        case .sendToRealtime(let event):
            try await writer.send(event)
        case .sendToTwilio(let message):
            do {
                try await twilio.send(message)
            } catch {
                logger.debug("Twilio stream closed; message dropped", metadata: ["reason": "\(error)"])
            }
        case .report(let report):
            log(report)
            switch report {
            case .callerSaid(let text): await journal?.record(.callerSaid(text))
            case .assistantSaid(let text): await journal?.record(.assistantSaid(text))
            case .usage(_, let usage): await journal?.record(.usage(usage))
            default: break
            }
        case .runTool(let invocation):
            logger.error("A tool call was not started", metadata: ["tool": "\(invocation.name)"])
        case .controlCall(let tool, let callID):
            try await controlCall(tool, callID: callID, writer: writer)
        case .scheduleCallControlCheck(let delay):
            let check = Task {
                try? await Task.sleep(for: delay)
                guard !Task.isCancelled else { return }
                let now = ContinuousClock.now
                let actions = self.state.withLock { $0.machine?.callControlCheckDue(at: now) ?? [] }
                if !actions.isEmpty { self.logger.info("The goodbye's last marks did not come back; going ahead") }
                await self.performQuietly(actions, writer: writer)
            }
            let stale = state.withLock { state -> Task<Void, Never>? in
                defer { state.callControlCheck = check }
                return state.callControlCheck
            }
            stale?.cancel()
        }
    }

    /// Does `actions` from outside the Realtime event loop (a mark echo, a timer), where a failed send to the
    /// service needs no more than a log line: the event loop sees the closed socket itself.
    private func performQuietly(_ actions: [CallStateMachine.Action], writer: RealtimeEventWriter) async {
        do {
            for action in actions { try await perform(action, writer: writer) }
        } catch {
            logger.debug("Realtime event not sent", metadata: ["reason": "\(error)"])
        }
    }

    /// Hangs up or transfers through the call controller, then closes the media stream. A transfer that fails is
    /// reported to the model so the assistant can tell the caller; a hang-up that fails still closes the stream.
    private func controlCall(_ tool: CallControlTool, callID: String, writer: RealtimeEventWriter) async throws {
        do {
            switch tool {
            case .endCall:
                logger.info("Ending the call: the goodbye has played")
                if let callController {
                    try await callController.hangUp(callSid: start.callSid)
                } else {
                    logger.warning("No Twilio REST credentials: ending the call by closing the media stream")
                }
            case .transferToHuman:
                logger.info("Transferring the call to a person")
                guard let callController else { throw ToolError("No call controller") }
                try await callController.transfer(callSid: start.callSid)
            }
            state.withLock { $0.ending = tool == .endCall ? .assistantHungUp : .transferred }
        } catch {
            logger.error("Call control failed", metadata: ["tool": "\(tool.rawValue)", "reason": "\(error)"])
            if tool == .endCall { state.withLock { $0.ending = .assistantHungUp } }
            if tool == .transferToHuman {
                let actions = state.withLock {
                    $0.machine?.callControlFailed(
                        callID: callID,
                        message: SpokenFailure.transferFailed
                    ) ?? []
                }
                for action in actions { try await perform(action, writer: writer) }
                return
            }
        }
        await finish()
    }

    private func runTool(_ invocation: CallStateMachine.ToolInvocation, writer: RealtimeEventWriter) async {
        let started = ContinuousClock.now
        let call = ToolCall(
            name: invocation.name,
            arguments: invocation.arguments,
            callID: invocation.callID,
            callSid: start.callSid,
            callerNumber: callerNumber
        )
        await ToolRunner(provider: tools, deadline: configuration.toolDeadline).run(call) { outcome in
            let elapsed = ContinuousClock.now - started
            self.logger.info(
                "Tool call",
                metadata: [
                    "tool": "\(invocation.name)",
                    "outcome": "\(outcome.label)",
                    "latency_ms": "\(Self.milliseconds(elapsed))",
                ]
            )
            await self.journal?.record(
                .tool(name: invocation.name, milliseconds: Int(Self.milliseconds(elapsed)), outcome: outcome)
            )
            guard !Task.isCancelled else { return }
            do {
                try await writer.send(
                    .conversationItemCreate(.functionCallOutput(callID: invocation.callID, output: outcome.output))
                )
                let now = ContinuousClock.now
                let actions = self.state.withLock {
                    $0.machine?.toolOutputSent(callID: invocation.callID, responseID: invocation.responseID, at: now)
                        ?? []
                }
                for action in actions { try await self.perform(action, writer: writer) }
            } catch {
                self.logger.debug("Tool output not delivered", metadata: ["reason": "\(error)"])
            }
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    private func finish() async {
        state.withLock {
            $0.writer = nil
            $0.finished = true
            $0.bufferedAudio = []
        }
        await twilio.close()
    }

    private func log(_ report: CallStateMachine.Report) {
        switch report {
        case .callerSaid(let text):
            logger.debug("Caller said", metadata: ["text": "\(text)"])
        case .assistantSaid(let text):
            logger.debug("Assistant said", metadata: ["text": "\(text)"])
        case .usage(let responseID, let usage):
            logger.debug(
                "Response usage",
                metadata: [
                    "response_id": "\(responseID)", "input_tokens": "\(usage.inputTokens)",
                    "output_tokens": "\(usage.outputTokens)",
                ]
            )
        case .realtimeError(let error):
            // None of these end the call: a failed truncate or cancel leaves the session usable.
            let benign = ["response_cancel_not_active"].contains(error.code ?? "")
            logger.log(
                level: benign ? .debug : .warning,
                "Realtime error",
                metadata: ["code": "\(error.code ?? "none")", "message": "\(error.message)"]
            )
        case .bargeIn(let itemID, let heardMilliseconds):
            logger.info(
                "Caller interrupted",
                metadata: [
                    "item_id": "\(itemID ?? "none")", "heard_ms": "\(heardMilliseconds.map(String.init) ?? "none")",
                ]
            )
        case .truncated(let itemID, let audioEndMilliseconds):
            logger.debug(
                "Assistant item truncated",
                metadata: ["item_id": "\(itemID)", "audio_end_ms": "\(audioEndMilliseconds)"]
            )
        case .callControlCancelled(let tool):
            logger.info(
                "The caller spoke before the goodbye finished; not ending the call",
                metadata: ["tool": "\(tool.rawValue)"]
            )
        case .toolSkipped(let name, let callID):
            logger.info(
                "Tool call skipped: its response was interrupted",
                metadata: ["tool": "\(name)", "call_id": "\(callID)"]
            )
        }
    }
}
