import RealtimeAPI
import Testing
import TwilioMedia

@testable import CallBridge

/// A lost session replaced, and a session rolled over: what the state machine sends the new one, and what it keeps
/// from the old.
@Suite struct SessionReplacementTests {
    let t0 = ContinuousClock.now
    /// 120 ms of µ-law, base64 (960 bytes).
    let delta = String(repeating: "AAAA", count: 320)

    func at(_ milliseconds: Int) -> ContinuousClock.Instant {
        t0 + .milliseconds(milliseconds)
    }

    let session = RealtimeSessionConfiguration(instructions: "i", voice: "marin", transcriptionModel: nil, tools: [])

    func greetedMachine() -> CallStateMachine {
        var machine = CallStateMachine(
            streamSid: "MZ1",
            session: session,
            greetingInstructions: "greet",
            toolsWithSideEffects: ["create_booking"]
        )
        _ = machine.realtimeConnected()
        _ = machine.receive(.sessionUpdated, at: at(0))
        return machine
    }

    /// The greeting played in full, the caller answered, and the assistant replied in full.
    func machineAfterOneExchange() -> CallStateMachine {
        var machine = greetedMachine()
        say(&machine, response: "r1", item: "a1", "Thanks for calling NYC Quick Movers.", at: 0)
        _ = machine.receive(.speechStarted(itemID: "u1", audioStartMilliseconds: 0), at: at(500))
        _ = machine.receive(.speechStopped(itemID: "u1", audioEndMilliseconds: 900), at: at(900))
        _ = machine.receive(
            .inputTranscriptionCompleted(itemID: "u1", transcript: "I am moving on Friday."),
            at: at(950)
        )
        say(&machine, response: "r2", item: "a2", "Friday works.", at: 1000)
        return machine
    }

    /// One whole response with one audio item, every mark echoed.
    func say(_ machine: inout CallStateMachine, response: String, item: String, _ text: String, at start: Int) {
        _ = machine.receive(.responseCreated(responseID: response), at: at(start))
        _ = machine.receive(.outputAudioTranscriptDelta(responseID: response, itemID: item, delta: text), at: at(start))
        for action in machine.receive(
            .outputAudioDelta(responseID: response, itemID: item, delta: delta),
            at: at(start)
        ) {
            if case .sendToTwilio(.mark(_, let name)) = action { _ = machine.markEchoed(name, at: at(start + 120)) }
        }
        _ = machine.receive(
            .outputAudioTranscriptDone(responseID: response, itemID: item, transcript: text),
            at: at(start + 10)
        )
        _ = machine.receive(
            .responseDone(RealtimeResponse(id: response, status: "completed", statusReason: nil, output: [])),
            at: at(start + 20)
        )
    }

    static func restored(_ actions: [CallStateMachine.Action]) -> [RealtimeConversationItem] {
        actions.compactMap {
            if case .sendToRealtime(.conversationItemRestore(let item, _, _)) = $0 { item } else { nil }
        }
    }

    @Test func aNewSessionIsConfiguredThenGivenTheConversationInOrderWithoutAGreeting() {
        var machine = machineAfterOneExchange()
        machine.sessionLost()
        let actions = machine.realtimeConnected()
        guard case .sendToRealtime(.sessionUpdate) = actions.first else {
            Issue.record("session.update must come first")
            return
        }
        #expect(
            Self.restored(actions) == [
                .assistantText("Thanks for calling NYC Quick Movers."),
                .userText("I am moving on Friday."),
                .assistantText("Friday works."),
                .systemText(ConversationHistory.continuationNote),
            ]
        )
        // Chained: each item after the one before, the first at the root.
        let chain = actions.compactMap { action -> (String, String)? in
            if case .sendToRealtime(.conversationItemRestore(_, let id, let previous)) = action {
                (id, previous)
            } else {
                nil
            }
        }
        #expect(chain.first?.1 == "root")
        for (earlier, later) in zip(chain, chain.dropFirst()) { #expect(later.1 == earlier.0) }
        // Nothing was owed: no response is asked for, and none comes on session.updated either.
        #expect(!actions.contains { $0.createsResponse })
        #expect(machine.receive(.sessionUpdated, at: at(3000)) == [])
    }

    @Test func aReplyTheCallerWasWaitingForIsAskedForAfterTheRestore() {
        var machine = machineAfterOneExchange()
        _ = machine.receive(.speechStarted(itemID: "u2", audioStartMilliseconds: 0), at: at(2000))
        _ = machine.receive(.speechStopped(itemID: "u2", audioEndMilliseconds: 600), at: at(2600))
        _ = machine.receive(.inputTranscriptionCompleted(itemID: "u2", transcript: "How much is it?"), at: at(2650))
        _ = machine.receive(.responseCreated(responseID: "r3"), at: at(2700))
        machine.sessionLost()
        let actions = machine.realtimeConnected()
        #expect(Self.restored(actions).dropLast().last == .userText("How much is it?"))
        let last = actions.lastIndex(where: \.createsResponse)
        let lastItem = actions.lastIndex {
            if case .sendToRealtime(.conversationItemRestore) = $0 { true } else { false }
        }
        #expect(last != nil && lastItem != nil && last! > lastItem!)
        #expect(actions.filter(\.createsResponse).count == 1)
    }

    @Test func anAssistantTurnTheCallerTalkedOverIsRestoredCutToWhatTheyHeard() {
        var machine = greetedMachine()
        let text = "Our movers can come on Friday morning or on Saturday afternoon, whichever suits you best."
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        _ = machine.receive(.outputAudioTranscriptDelta(responseID: "r1", itemID: "a1", delta: text), at: at(0))
        for _ in 0..<10 {
            _ = machine.receive(.outputAudioDelta(responseID: "r1", itemID: "a1", delta: delta), at: at(0))
        }
        // 1200 ms sent; the caller talks over it 300 ms in, having heard a quarter.
        _ = machine.receive(.speechStarted(itemID: "u1", audioStartMilliseconds: 0), at: at(300))
        _ = machine.receive(.outputAudioTranscriptDone(responseID: "r1", itemID: "a1", transcript: text), at: at(310))
        machine.sessionLost()
        let restored = Self.restored(machine.realtimeConnected())
        #expect(restored.first == .assistantText("Our movers can come on…"))
    }

    @Test func ifNothingWasSaidTheNewSessionGreetsInstead() {
        var machine = greetedMachine()
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        machine.sessionLost()
        let actions = machine.realtimeConnected()
        #expect(Self.restored(actions).isEmpty)
        #expect(!actions.contains { $0.createsResponse })
        #expect(
            machine.receive(.sessionUpdated, at: at(100)) == [.sendToRealtime(.responseCreate(instructions: "greet"))]
        )
    }

    @Test func completedToolCallsAreReplayedAsPairsAndARunningOneIsSentWithItsCallWhenItFinishes() {
        var machine = machineAfterOneExchange()
        _ = machine.receive(.responseCreated(responseID: "r3"), at: at(3000))
        let quote = machine.receive(
            .functionCallArgumentsDone(
                responseID: "r3",
                itemID: "f1",
                callID: "call_quote",
                name: "get_quote",
                arguments: #"{"home_size":"2br"}"#
            ),
            at: at(3010)
        )
        let book = machine.receive(
            .functionCallArgumentsDone(
                responseID: "r3",
                itemID: "f2",
                callID: "call_book",
                name: "create_booking",
                arguments: #"{"date":"2026-12-04"}"#
            ),
            at: at(3020)
        )
        guard case .runTool(let quoteCall) = quote.first, case .runTool(let bookCall) = book.first else {
            Issue.record("both tools should run")
            return
        }
        _ = machine.receive(
            .responseDone(RealtimeResponse(id: "r3", status: "completed", statusReason: nil, output: [])),
            at: at(3030)
        )
        _ = machine.toolFinished(quoteCall, output: #"{"price":"$900"}"#, at: at(3100))
        // The socket drops while the booking is still being made.
        machine.sessionLost()
        let actions = machine.realtimeConnected()
        let restored = Self.restored(actions)
        #expect(
            restored.contains(
                .functionCall(callID: "call_quote", name: "get_quote", arguments: #"{"home_size":"2br"}"#)
            )
        )
        #expect(restored.contains(.functionCallOutput(callID: "call_quote", output: #"{"price":"$900"}"#)))
        // No orphan: the running call is not replayed, and no response is asked for while it runs.
        #expect(!restored.contains { if case .functionCall("call_book", _, _) = $0 { true } else { false } })
        #expect(!actions.contains { $0.createsResponse })
        _ = machine.receive(.sessionUpdated, at: at(3200))
        let finished = machine.toolFinished(bookCall, output: #"{"job_id":"J-1"}"#, at: at(3300))
        #expect(
            finished == [
                .sendToRealtime(
                    .conversationItemCreate(
                        .functionCall(callID: "call_book", name: "create_booking", arguments: #"{"date":"2026-12-04"}"#)
                    )
                ),
                .sendToRealtime(
                    .conversationItemCreate(.functionCallOutput(callID: "call_book", output: #"{"job_id":"J-1"}"#))
                ),
                .sendToRealtime(.responseCreate(instructions: nil)),
            ]
        )
    }

    @Test func aToolThatFinishesWhileNoSessionIsOpenIsRestoredAndItsResultSpoken() {
        var machine = machineAfterOneExchange()
        _ = machine.receive(.responseCreated(responseID: "r3"), at: at(3000))
        let started = machine.receive(
            .functionCallArgumentsDone(
                responseID: "r3",
                itemID: "f1",
                callID: "call_quote",
                name: "get_quote",
                arguments: "{}"
            ),
            at: at(3010)
        )
        guard case .runTool(let invocation) = started.first else {
            Issue.record("the tool should run")
            return
        }
        machine.sessionLost()
        #expect(machine.toolFinished(invocation, output: #"{"price":"$900"}"#, at: at(3100)) == [])
        let actions = machine.realtimeConnected()
        #expect(
            Self.restored(actions).contains(.functionCallOutput(callID: "call_quote", output: #"{"price":"$900"}"#))
        )
        #expect(actions.filter(\.createsResponse).count == 1)
    }

    @Test func audioFromTheLostSessionIsClearedButNotTruncatedOnTheNewOne() {
        var machine = greetedMachine()
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        _ = machine.receive(
            .outputAudioTranscriptDelta(responseID: "r1", itemID: "a1", delta: "Hello there."),
            at: at(0)
        )
        _ = machine.receive(.outputAudioDelta(responseID: "r1", itemID: "a1", delta: delta), at: at(0))
        machine.sessionLost()
        _ = machine.realtimeConnected()
        _ = machine.receive(.sessionUpdated, at: at(20))
        let actions = machine.receive(.speechStarted(itemID: "u1", audioStartMilliseconds: 0), at: at(50))
        #expect(actions.contains(.sendToTwilio(.clear(streamSid: "MZ1"))))
        #expect(
            !actions.contains {
                if case .sendToRealtime(.conversationItemTruncate) = $0 { true } else { false }
            }
        )
    }

    @Test func errorsThatEndOnlyThisSessionReplaceItAndFatalOnesEndTheCall() {
        var machine = machineAfterOneExchange()
        let expired = RealtimeError(type: "invalid_request_error", code: "session_expired", message: "limit")
        #expect(
            machine.receive(.error(expired), at: at(5000)).contains(.replaceSession(reason: "session_expired: limit"))
        )
        let server = RealtimeError(type: "server_error", code: nil, message: "The server had an error")
        #expect(
            machine.receive(.error(server), at: at(5001)).contains(
                .replaceSession(reason: "server_error: The server had an error")
            )
        )
        let quota = RealtimeError(type: "invalid_request_error", code: "insufficient_quota", message: "no credit")
        #expect(
            machine.receive(.error(quota), at: at(5002)).contains(.failSession(reason: "insufficient_quota: no credit"))
        )
    }

    @Test func aRolloverWaitsForATurnBoundary() {
        var machine = machineAfterOneExchange()
        #expect(machine.isAtTurnBoundary)
        _ = machine.receive(.speechStarted(itemID: "u2", audioStartMilliseconds: 0), at: at(3000))
        #expect(!machine.isAtTurnBoundary)
        let switchedWhileSpeaking = machine.switchSession(knowing: [])
        #expect(!switchedWhileSpeaking)
        _ = machine.receive(.speechStopped(itemID: "u2", audioEndMilliseconds: 500), at: at(3500))
        _ = machine.receive(.responseCreated(responseID: "r3"), at: at(3510))
        #expect(!machine.isAtTurnBoundary)
        _ = machine.receive(.outputAudioDelta(responseID: "r3", itemID: "a3", delta: delta), at: at(3520))
        _ = machine.receive(
            .responseDone(RealtimeResponse(id: "r3", status: "completed", statusReason: nil, output: [])),
            at: at(3530)
        )
        // Generated, but its audio has not played yet.
        #expect(!machine.isAtTurnBoundary)
        _ = machine.markEchoed("m3", at: at(3700))
        #expect(machine.isAtTurnBoundary)
        let rollover = machine.rolloverEvents()
        guard case .sessionUpdate = rollover.events.first else {
            Issue.record("a rollover session is configured first")
            return
        }
        let switched = machine.switchSession(knowing: rollover.callIDs)
        #expect(switched)
    }
}

@Suite struct ConversationHistoryTests {
    @Test(arguments: [
        (heard: 0, sent: 1000, expected: ""),
        (heard: 500, sent: 1000, expected: "One two three four five…"),
        (heard: 1000, sent: 1000, expected: "One two three four five six seven eight nine ten."),
        (heard: 990, sent: 1000, expected: "One two three four five six seven eight nine…"),
    ])
    func aCutKeepsWholeWordsInProportion(heard: Int, sent: Int, expected: String) {
        let text = "One two three four five six seven eight nine ten."
        #expect(ConversationHistory.cut(text, heard: heard, sent: sent) == expected)
    }

    @Test func aCallerTurnKeepsItsPlaceThoughItsTranscriptComesLate() {
        var history = ConversationHistory()
        history.callerStarted(itemID: "u1")
        history.assistantStarted(itemID: "a1")
        history.assistantSaid(itemID: "a1", text: "Sorry, go on.")
        history.callerSaid(itemID: "u1", text: "I need a truck.")
        let items = history.restoreItems().items
        #expect(items.prefix(2) == [.userText("I need a truck."), .assistantText("Sorry, go on.")])
    }

    @Test func aTurnNeverTranscribedIsLeftOut() {
        var history = ConversationHistory()
        history.callerStarted(itemID: "u1")
        #expect(!history.hasSpoken)
        #expect(history.restoreItems().items == [.systemText(ConversationHistory.continuationNote)])
    }
}
