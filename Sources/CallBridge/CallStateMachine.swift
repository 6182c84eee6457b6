import RealtimeAPI
import TwilioMedia

/// The decisions of one call, as a plain value: what to relay, when to clear and truncate on barge-in, which tool
/// calls to run, and when to ask for the next response. Feed it events; do the I/O it returns, in order.
package struct CallStateMachine: Sendable {
    package enum Action: Sendable, Equatable {
        case sendToRealtime(RealtimeClientEvent)
        case sendToTwilio(TwilioOutboundMessage)
        case runTool(ToolInvocation)
        /// Hang up or transfer now: the response that asked for it is done and its audio has played.
        case controlCall(CallControlTool, callID: String)
        /// Call ``callControlCheckDue(at:)`` after this long, in case the last marks never come back.
        case scheduleCallControlCheck(after: Duration)
        /// Call ``sessionCheckDue()`` after this long: the service must have taken the configuration by then.
        case scheduleSessionCheck(after: Duration)
        /// The session cannot serve the call: end it, so that the caller hears the apology rather than silence.
        case failSession(reason: String)
        /// This session is over but another may serve the call (the service's own error, its time limit): open a
        /// new one and restore the conversation there.
        case replaceSession(reason: String)
        case report(Report)
    }

    package struct ToolInvocation: Sendable, Equatable {
        package var callID: String
        package var name: String
        package var arguments: String
        package var responseID: String
    }

    /// Things worth a log line or a call record; no I/O.
    package enum Report: Sendable, Equatable {
        case callerSaid(String)
        case assistantSaid(String)
        case usage(responseID: String, RealtimeUsage)
        case realtimeError(RealtimeError)
        case bargeIn(itemID: String?, heardMilliseconds: Int?)
        case truncated(itemID: String, audioEndMilliseconds: Int)
        case toolSkipped(name: String, callID: String)
        /// The caller spoke before the goodbye finished: the hang-up or transfer is off.
        case callControlCancelled(CallControlTool)
    }

    /// A response's tool calls and whether its follow-up may be asked for.
    private struct ResponseProgress: Sendable {
        var done = false
        /// The caller talked over it (or it was cancelled): no follow-up, and side-effect tools are not run.
        var interrupted = false
        var calls: Set<String> = []
        var answered: Set<String> = []
        /// It asked to end or transfer the call, so no follow-up is asked for.
        var controlsCall = false
    }

    /// An `end_call` or `transfer_to_human` waiting for its response to finish playing.
    private struct PendingCallControl: Sendable {
        var tool: CallControlTool
        var callID: String
        var responseID: String
        var checkScheduled = false
    }

    private let streamSid: String
    private let session: RealtimeSessionConfiguration
    private let greetingInstructions: String
    private let toolsWithSideEffects: Set<String>
    private let callControlTools: Set<CallControlTool>

    private var playback = PlaybackTracker()
    private var greeted = false
    private var activeResponseID: String?
    private var responses: [String: ResponseProgress] = [:]
    private var interruptedResponseIDs: Set<String> = []
    /// A follow-up `response.create` that waits for the active response to finish.
    private var followUpWaiting = false
    private var pendingCallControl: PendingCallControl?
    private var callControlStarted = false
    /// Silence and the call's time limit (issue 14, part 5).
    private var attention = CallerAttention()
    /// What has been said, to restore on a new session.
    private var history = ConversationHistory()

    // The current Realtime session (issue 14, parts 2 and 3).
    /// Whether a session is open to send to; `false` while a lost one is replaced.
    private var sessionOpen = false
    /// The session took its configuration (`session.updated`).
    private var configured = false
    /// Assistant audio items of this session: only those can be truncated (a restored turn is text).
    private var sessionItems: Set<String> = []
    /// Function calls this session knows: an output for any other is sent with its call.
    private var sessionCallIDs: Set<String> = []
    /// The assistant owes the caller an answer: the caller finished a turn, or a response or its tools' follow-up
    /// was under way. A restored session is asked for a response when this holds.
    private var replyOwed = false
    private var callerSpeaking = false

    /// How long after the audio should have played a hang-up goes ahead without the last marks.
    package static let callControlGrace = Duration.seconds(2)

    /// Output for an `end_call` or `transfer_to_human` the caller talked over.
    package static let cancelledCallControlOutput = SpokenFailure.callControlCancelled

    /// Output for a second `end_call` or `transfer_to_human` while one is already under way.
    package static let duplicateCallControlOutput = SpokenFailure.callControlUnderWay

    /// The system note after a restored conversation.
    package static let continuationNote = ConversationHistory.continuationNote

    /// Output for a side-effect tool call whose response the caller interrupted.
    package static let skippedToolOutput = SpokenFailure.skippedTool

    package init(
        streamSid: String,
        session: RealtimeSessionConfiguration,
        greetingInstructions: String,
        toolsWithSideEffects: Set<String>,
        callControlTools: Set<CallControlTool> = []
    ) {
        self.streamSid = streamSid
        self.session = session
        self.greetingInstructions = greetingInstructions
        self.toolsWithSideEffects = toolsWithSideEffects.union(callControlTools.map(\.rawValue))
        self.callControlTools = callControlTools
    }

    package var playbackTracker: PlaybackTracker { playback }

    /// How long the service has to answer the configuration with `session.updated`.
    package static let sessionUpdateTimeout: Duration = .seconds(5)

    /// A Realtime socket is open: configure the session and check that the service took it. On the call's first
    /// session the greeting follows `session.updated`; on a later one the conversation so far is restored, and the
    /// assistant asked to answer if it owed the caller an answer when the last session was lost.
    package mutating func realtimeConnected() -> [Action] {
        sessionOpen = true
        configured = false
        var actions: [Action] = [.sendToRealtime(.sessionUpdate(session))]
        if greeted {
            let restore = restoreEvents()
            sessionCallIDs = restore.callIDs
            actions += restore.events.map(Action.sendToRealtime)
            if replyOwed, !toolsRunning {
                actions.append(.sendToRealtime(.responseCreate(instructions: nil)))
            }
        }
        actions.append(.scheduleSessionCheck(after: Self.sessionUpdateTimeout))
        return actions
    }

    /// The wait scheduled by ``Action/scheduleSessionCheck(after:)`` is over: a session that never confirmed its
    /// configuration would never greet the caller.
    package func sessionCheckDue() -> [Action] {
        configured ? [] : [.failSession(reason: "no session.updated within \(Self.sessionUpdateTimeout)")]
    }

    /// The session's socket is gone. Until ``realtimeConnected()`` nothing is sent: tool results are kept for the
    /// restore, and the response that was generating is over (what was sent of it keeps playing).
    package mutating func sessionLost() {
        sessionOpen = false
        configured = false
        if let active = activeResponseID {
            activeResponseID = nil
            replyOwed = true
            if responses[active]?.calls.isEmpty ?? true {
                responses[active] = nil
            } else {
                responses[active]?.done = true
            }
        }
        if followUpWaiting {
            followUpWaiting = false
            replyOwed = true
        }
        sessionItems = []
        sessionCallIDs = []
        callerSpeaking = false
        // Nothing was said: the next session starts the call over, greeting included.
        if !history.hasSpoken { greeted = false }
    }

    /// What a replacing session is sent before it takes over: its configuration, the conversation so far and the
    /// continuation note, each item after the one before.
    package func restoreEvents() -> (events: [RealtimeClientEvent], callIDs: Set<String>) {
        let restore = history.restoreItems()
        var events: [RealtimeClientEvent] = []
        var previous = "root"
        for (index, item) in restore.items.enumerated() {
            let id = "restored_\(index + 1)"
            events.append(.conversationItemRestore(item, id: id, previousItemID: previous))
            previous = id
        }
        return (events, restore.callIDs)
    }

    /// What a session opened for a rollover is sent: its configuration, then the restore.
    package func rolloverEvents() -> (events: [RealtimeClientEvent], callIDs: Set<String>) {
        let restore = restoreEvents()
        return ([.sessionUpdate(session)] + restore.events, restore.callIDs)
    }

    /// A planned replacement (rollover) is ready: the new session took its configuration and the restore. It takes
    /// over only at a turn boundary; `false` if the call has moved on meanwhile, and the new session is not used.
    package mutating func switchSession(knowing callIDs: Set<String>) -> Bool {
        guard isAtTurnBoundary else { return false }
        sessionOpen = true
        configured = true
        sessionItems = []
        sessionCallIDs = callIDs
        return true
    }

    /// Nothing is going on and nothing is playing, and the caller is not speaking: the moment a session can be
    /// replaced without the caller noticing.
    package var isAtTurnBoundary: Bool {
        isIdle && configured && !callerSpeaking
    }

    /// The conversation so far (for tests and the call record).
    var conversation: ConversationHistory { history }

    private var toolsRunning: Bool {
        responses.values.contains { !$0.calls.isSubset(of: $0.answered) }
    }

    /// A tool finished: its output goes to the session (with its call, if this session never saw it), or is kept
    /// for the restore while there is no session; then whatever follows.
    package mutating func toolFinished(
        _ invocation: ToolInvocation,
        output: String,
        at now: ContinuousClock.Instant
    ) -> [Action] {
        history.toolAnswered(callID: invocation.callID, output: output)
        guard sessionOpen else {
            responses[invocation.responseID]?.answered.insert(invocation.callID)
            if let progress = responses[invocation.responseID], progress.done,
                progress.answered.isSuperset(of: progress.calls)
            {
                responses[invocation.responseID] = nil
                if !progress.interrupted, !progress.controlsCall { replyOwed = true }
            }
            return []
        }
        var actions: [Action] = []
        if !sessionCallIDs.contains(invocation.callID) {
            sessionCallIDs.insert(invocation.callID)
            actions.append(
                .sendToRealtime(
                    .conversationItemCreate(
                        .functionCall(callID: invocation.callID, name: invocation.name, arguments: invocation.arguments)
                    )
                )
            )
        }
        actions.append(
            .sendToRealtime(.conversationItemCreate(.functionCallOutput(callID: invocation.callID, output: output)))
        )
        return actions + toolOutputSent(callID: invocation.callID, responseID: invocation.responseID, at: now)
    }

    /// Twilio echoed a mark: the audio before it has played. A pending hang-up may go ahead now.
    package mutating func markEchoed(_ name: String, at now: ContinuousClock.Instant) -> [Action] {
        playback.markEchoed(name, at: now)
        attention.assistantActive(at: now)
        return pendingCallControl == nil ? [] : callControlIfReady(at: now)
    }

    /// A tool call's output was sent to the service.
    package mutating func toolOutputSent(
        callID: String,
        responseID: String,
        at now: ContinuousClock.Instant
    )
        -> [Action]
    {
        responses[responseID]?.answered.insert(callID)
        return followUpIfReady(responseID) + callControlIfReady(at: now)
    }

    /// The wait scheduled by ``Action/scheduleCallControlCheck(after:)`` is over: the audio has had time to play,
    /// so a pending hang-up or transfer goes ahead even if its last marks never came back.
    package mutating func callControlCheckDue(at now: ContinuousClock.Instant) -> [Action] {
        guard pendingCallControl != nil, callControlResponseFinished else { return [] }
        return startCallControl()
    }

    /// The `callID` of a transfer the caller asked for with the keypad: no function call of the model's.
    package static let keypadCallID = "keypad"
    /// The `callID` of a hang-up the server decided on (a silent caller, the time limit): no function call either.
    package static let serverCallID = "server"

    /// Whether nothing is happening on the call: greeted, no response generating or playing, the caller quiet, no
    /// tool running and no hang-up or transfer under way.
    private var isIdle: Bool {
        greeted && activeResponseID == nil && !playback.hasUnplayedAudio && !followUpWaiting
            && pendingCallControl == nil && !callControlStarted && !toolsRunning
    }

    /// Called every so often: a caller silent for `silence` after the assistant finished is asked whether they are
    /// still there; silent again, they are told goodbye; silent after that, the call is hung up.
    package mutating func attentionCheck(at now: ContinuousClock.Instant, silence: Duration) -> [Action] {
        guard isIdle else { return [] }
        switch attention.silenceDue(at: now, after: silence) {
        case nil: return []
        case .prompt(let instructions):
            return [.sendToRealtime(.responseCreate(instructions: session.instructions + "\n\n" + instructions))]
        case .hangUp:
            callControlStarted = true
            return [.controlCall(.endCall, callID: Self.serverCallID)]
        }
    }

    /// The call reached `MAX_CALL_MINUTES`: the assistant is asked to wrap up (after the response in progress).
    package mutating func timeLimitReached() -> [Action] {
        wrapUp(CallerAttention.wrapUp)
    }

    /// The assistant is asked to end the call with `instructions`, after the response in progress if there is one.
    package mutating func wrapUp(_ instructions: String) -> [Action] {
        let instructions = attention.wrapUp(instructions)
        guard activeResponseID == nil, !callControlStarted else { return [] }
        _ = attention.takeWaitingInstructions()
        return [.sendToRealtime(.responseCreate(instructions: session.instructions + "\n\n" + instructions))]
    }

    /// The wrap-up has had its time: the call is hung up unless a hang-up or transfer is already under way.
    package mutating func timeLimitBackstop() -> [Action] {
        guard !callControlStarted else { return [] }
        callControlStarted = true
        pendingCallControl = nil
        return [.controlCall(.endCall, callID: Self.serverCallID)]
    }

    /// The caller pressed a key. `0` transfers to a person at once when transfers are on; any other key (or `0`
    /// without transfers) is told to the model as text, and it answers.
    package mutating func keyPressed(_ digit: String) -> [Action] {
        guard !callControlStarted else { return [] }
        if digit == "0", callControlTools.contains(.transferToHuman) {
            callControlStarted = true
            pendingCallControl = nil
            return [.controlCall(.transferToHuman, callID: Self.keypadCallID)]
        }
        let note = "(The caller pressed \(digit) on their phone's keypad.)"
        var actions: [Action] = [.sendToRealtime(.conversationItemCreate(.userText(note)))]
        if activeResponseID == nil {
            actions.append(.sendToRealtime(.responseCreate(instructions: nil)))
        } else {
            followUpWaiting = true
        }
        return actions
    }

    /// The hang-up or transfer failed: the model is told, and answers the caller.
    package mutating func callControlFailed(callID: String, message: String) -> [Action] {
        callControlStarted = false
        pendingCallControl = nil
        let output = ToolRunner.Outcome.failed(speakableMessage: message).output
        // A keypad transfer has no function call to answer: the model reads what happened as a note instead.
        guard callID != Self.serverCallID else { return [] }
        let told: RealtimeConversationItem =
            callID == Self.keypadCallID
            ? .userText("(The caller pressed 0 for a person, but the transfer did not go through: \(message))")
            : .functionCallOutput(callID: callID, output: output)
        var actions: [Action] = [.sendToRealtime(.conversationItemCreate(told))]
        if activeResponseID == nil {
            actions.append(.sendToRealtime(.responseCreate(instructions: nil)))
        } else {
            followUpWaiting = true
        }
        return actions
    }

    package mutating func receive(_ event: RealtimeServerEvent, at now: ContinuousClock.Instant) -> [Action] {
        switch event {
        case .speechStarted(let itemID, _):
            attention.callerStartedSpeaking(at: now)
            history.callerStarted(itemID: itemID)
            callerSpeaking = true
        case .speechStopped:
            attention.callerStoppedSpeaking(at: now)
            callerSpeaking = false
            // The service answers a finished turn by itself (server VAD).
            replyOwed = true
        case .responseCreated:
            attention.assistantActive(at: now)
            replyOwed = true
        case .outputAudioDelta, .responseDone:
            attention.assistantActive(at: now)
        case .outputAudioTranscriptDelta(_, let itemID, let delta):
            history.assistantTranscript(itemID: itemID, delta: delta)
        case .outputAudioTranscriptDone(_, let itemID, let transcript):
            history.assistantSaid(itemID: itemID, text: transcript)
        case .inputTranscriptionCompleted(let itemID, let transcript):
            history.callerSaid(itemID: itemID, text: transcript)
        default: break
        }
        var actions = handle(event, at: now)
        if case .responseDone = event, activeResponseID == nil, !actions.contains(where: \.createsResponse),
            let instructions = attention.takeWaitingInstructions()
        {
            actions.append(.sendToRealtime(.responseCreate(instructions: session.instructions + "\n\n" + instructions)))
        }
        return actions
    }

    private mutating func handle(_ event: RealtimeServerEvent, at now: ContinuousClock.Instant) -> [Action] {
        switch event {
        case .sessionUpdated:
            configured = true
            guard !greeted else { return [] }
            greeted = true
            return [.sendToRealtime(.responseCreate(instructions: greetingInstructions))]

        case .responseCreated(let responseID):
            activeResponseID = responseID
            if responses[responseID] == nil { responses[responseID] = ResponseProgress() }
            return []

        case .outputAudioDelta(let responseID, let itemID, let delta):
            // Audio of a response the caller talked over must not play after the clear.
            guard !interruptedResponseIDs.contains(responseID) else { return [] }
            sessionItems.insert(itemID)
            history.assistantStarted(itemID: itemID)
            let mark = playback.audioSent(itemID: itemID, bytes: Self.decodedByteCount(ofBase64: delta), at: now)
            return [
                .sendToTwilio(.media(streamSid: streamSid, payload: delta)),
                .sendToTwilio(.mark(streamSid: streamSid, name: mark)),
            ]

        case .speechStarted:
            return bargeIn(at: now)

        case .functionCallArgumentsDone(let responseID, _, let callID, let name, let arguments):
            var progress = responses[responseID] ?? ResponseProgress()
            progress.calls.insert(callID)
            responses[responseID] = progress
            sessionCallIDs.insert(callID)
            let isCallControl = CallControlTool(rawValue: name).map(callControlTools.contains) ?? false
            if !isCallControl { history.toolCalled(callID: callID, name: name, arguments: arguments) }
            if progress.interrupted, toolsWithSideEffects.contains(name) {
                responses[responseID]?.answered.insert(callID)
                if !isCallControl { history.toolAnswered(callID: callID, output: Self.skippedToolOutput) }
                return [
                    .report(.toolSkipped(name: name, callID: callID)),
                    .sendToRealtime(
                        .conversationItemCreate(.functionCallOutput(callID: callID, output: Self.skippedToolOutput))
                    ),
                ]
            }
            if let tool = CallControlTool(rawValue: name), callControlTools.contains(tool) {
                responses[responseID]?.answered.insert(callID)
                responses[responseID]?.controlsCall = true
                guard pendingCallControl == nil, !callControlStarted else {
                    return [
                        .sendToRealtime(
                            .conversationItemCreate(
                                .functionCallOutput(callID: callID, output: Self.duplicateCallControlOutput)
                            )
                        )
                    ]
                }
                pendingCallControl = PendingCallControl(tool: tool, callID: callID, responseID: responseID)
                return callControlIfReady(at: now)
            }
            return [.runTool(ToolInvocation(callID: callID, name: name, arguments: arguments, responseID: responseID))]

        case .responseDone(let response):
            if activeResponseID == response.id { activeResponseID = nil }
            var progress = responses[response.id] ?? ResponseProgress()
            progress.done = true
            if response.status == "cancelled" { progress.interrupted = true }
            responses[response.id] = progress
            // Still owed only if its tools' results are to be spoken.
            replyOwed = !progress.calls.isEmpty && !progress.interrupted && !progress.controlsCall
            var actions: [Action] = []
            if let usage = response.usage { actions.append(.report(.usage(responseID: response.id, usage))) }
            if followUpWaiting, activeResponseID == nil {
                followUpWaiting = false
                actions.append(.sendToRealtime(.responseCreate(instructions: nil)))
            }
            return actions + followUpIfReady(response.id) + callControlIfReady(at: now)

        case .error(let error):
            let report = Action.report(.realtimeError(error))
            let reason = "\(error.code ?? error.type): \(error.message)"
            switch error.disposition {
            case .fatal: return [report, .failSession(reason: reason)]
            case .retry: return [report, .replaceSession(reason: reason)]
            case .ignore:
                // Before `session.updated`, an error is the service refusing the configuration: nothing would come.
                if !configured { return [report, .failSession(reason: "the session was refused: \(error.message)")] }
                return [report]
            }
        case .inputTranscriptionCompleted(_, let transcript):
            return [.report(.callerSaid(transcript))]
        case .outputAudioTranscriptDone(_, _, let transcript):
            return [.report(.assistantSaid(transcript))]
        case .itemTruncated(let itemID, let audioEndMilliseconds):
            return [.report(.truncated(itemID: itemID, audioEndMilliseconds: audioEndMilliseconds))]
        case .sessionCreated, .speechStopped, .outputAudioTranscriptDelta, .other:
            return []
        }
    }

    /// The caller started talking: stop what is playing, cut the items to what was heard, stop generating.
    private mutating func bargeIn(at now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        var playingItem: (itemID: String, heardMilliseconds: Int)?
        if playback.hasUnplayedAudio {
            actions.append(.sendToTwilio(.clear(streamSid: streamSid)))
            let cut = playback.clear(at: now)
            playingItem = cut.first.map { ($0.itemID, $0.heardMilliseconds) }
            for item in cut {
                history.assistantCut(
                    itemID: item.itemID,
                    heard: item.heardMilliseconds,
                    sent: item.sentMilliseconds
                )
                // A turn restored from an earlier session is text: it has no audio to cut.
                guard sessionItems.contains(item.itemID) else { continue }
                actions.append(
                    .sendToRealtime(
                        .conversationItemTruncate(
                            itemID: item.itemID,
                            contentIndex: 0,
                            audioEndMilliseconds: item.heardMilliseconds
                        )
                    )
                )
            }
        }
        // Only the response still being generated is interrupted. A finished one keeps its follow-up: its tools
        // may still be running, and their result must be spoken even if the caller said something meanwhile.
        if let active = activeResponseID {
            interruptedResponseIDs.insert(active)
            responses[active]?.interrupted = true
            actions.append(.sendToRealtime(.responseCancel(responseID: active)))
        }
        if !actions.isEmpty {
            actions.insert(
                .report(.bargeIn(itemID: playingItem?.itemID, heardMilliseconds: playingItem?.heardMilliseconds)),
                at: 0
            )
        }
        if let pending = pendingCallControl, !callControlStarted {
            pendingCallControl = nil
            actions.append(.report(.callControlCancelled(pending.tool)))
            actions.append(
                .sendToRealtime(
                    .conversationItemCreate(
                        .functionCallOutput(callID: pending.callID, output: Self.cancelledCallControlOutput)
                    )
                )
            )
        }
        return actions
    }

    /// Whether the response that asked for the pending hang-up is done and all its other tools have answered.
    private var callControlResponseFinished: Bool {
        guard let pending = pendingCallControl else { return false }
        // A finished response whose calls were all answered has been forgotten already.
        guard let progress = responses[pending.responseID] else { return true }
        return progress.done && progress.answered.isSuperset(of: progress.calls)
    }

    /// Hang up or transfer once the response is finished and the caller has heard all of it.
    private mutating func callControlIfReady(at now: ContinuousClock.Instant) -> [Action] {
        guard var pending = pendingCallControl, !callControlStarted, callControlResponseFinished else { return [] }
        guard playback.hasUnplayedAudio else { return startCallControl() }
        guard !pending.checkScheduled else { return [] }
        pending.checkScheduled = true
        pendingCallControl = pending
        return [
            .scheduleCallControlCheck(
                after: .milliseconds(playback.unplayedMilliseconds(at: now)) + Self.callControlGrace
            )
        ]
    }

    private mutating func startCallControl() -> [Action] {
        guard let pending = pendingCallControl, !callControlStarted else { return [] }
        callControlStarted = true
        return [.controlCall(pending.tool, callID: pending.callID)]
    }

    /// Exactly one `response.create` once every call of a finished response has its output.
    private mutating func followUpIfReady(_ responseID: String) -> [Action] {
        guard let progress = responses[responseID], progress.done, progress.answered.isSuperset(of: progress.calls)
        else { return [] }
        responses[responseID] = nil
        guard !progress.calls.isEmpty, !progress.interrupted, !progress.controlsCall else { return [] }
        guard activeResponseID == nil else {
            followUpWaiting = true
            return []
        }
        return [.sendToRealtime(.responseCreate(instructions: nil))]
    }

    /// Bytes a base64 string decodes to, without decoding it.
    package static func decodedByteCount(ofBase64 text: String) -> Int {
        let utf8 = text.utf8
        var padding = 0
        var index = utf8.endIndex
        while padding < 2, index > utf8.startIndex {
            index = utf8.index(before: index)
            guard utf8[index] == UInt8(ascii: "=") else { break }
            padding += 1
        }
        return utf8.count * 3 / 4 - padding
    }
}

extension CallStateMachine.Action {
    /// Whether this asks the service for a response.
    var createsResponse: Bool {
        if case .sendToRealtime(.responseCreate) = self { true } else { false }
    }
}
