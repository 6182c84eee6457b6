import RealtimeAPI
import Testing
import TwilioMedia

@testable import CallBridge

@Suite struct CallStateMachineTests {
    let t0 = ContinuousClock.now
    /// 120 ms of µ-law, base64 (960 bytes).
    let delta = String(repeating: "AAAA", count: 320)

    func at(_ milliseconds: Int) -> ContinuousClock.Instant {
        t0 + .milliseconds(milliseconds)
    }

    func machine(sideEffects: Set<String> = ["create_booking"]) -> CallStateMachine {
        CallStateMachine(
            streamSid: "MZ1",
            session: RealtimeSessionConfiguration(
                instructions: "i",
                voice: "marin",
                transcriptionModel: nil,
                tools: []
            ),
            greetingInstructions: "greet",
            toolsWithSideEffects: sideEffects
        )
    }

    @Test func configuresOnConnectAndGreetsOnceTheSessionIsUpdated() {
        var machine = machine()
        guard case .sendToRealtime(.sessionUpdate) = machine.realtimeConnected().first else {
            Issue.record("expected session.update first")
            return
        }
        #expect(machine.receive(.sessionCreated(expiresAt: nil), at: at(0)) == [])
        #expect(
            machine.receive(.sessionUpdated, at: at(1)) == [.sendToRealtime(.responseCreate(instructions: "greet"))]
        )
        #expect(machine.receive(.sessionUpdated, at: at(2)) == [])
    }

    @Test func audioDeltasGoToTwilioUntouchedEachFollowedByAMark() {
        var machine = machine()
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        let actions = machine.receive(.outputAudioDelta(responseID: "r1", itemID: "i1", delta: delta), at: at(0))
        #expect(
            actions == [
                .sendToTwilio(.media(streamSid: "MZ1", payload: delta)),
                .sendToTwilio(.mark(streamSid: "MZ1", name: "m1")),
            ]
        )
        #expect(machine.playbackTracker.sentMilliseconds(of: "i1") == 120)
    }

    @Test func bargeInClearsTruncatesToWhatWasHeardAndCancelsTheGeneratingResponse() {
        var machine = machine()
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        _ = machine.receive(.outputAudioDelta(responseID: "r1", itemID: "i1", delta: delta), at: at(0))
        _ = machine.receive(.outputAudioDelta(responseID: "r1", itemID: "i1", delta: delta), at: at(0))
        _ = machine.markEchoed("m1", at: at(120))
        let actions = machine.receive(.speechStarted(itemID: "u1", audioStartMilliseconds: 900), at: at(160))
        #expect(
            actions == [
                .report(.bargeIn(itemID: "i1", heardMilliseconds: 160)),
                .sendToTwilio(.clear(streamSid: "MZ1")),
                .sendToRealtime(.conversationItemTruncate(itemID: "i1", contentIndex: 0, audioEndMilliseconds: 160)),
                .sendToRealtime(.responseCancel(responseID: "r1")),
            ]
        )
        // Late audio of the interrupted response never reaches Twilio.
        #expect(machine.receive(.outputAudioDelta(responseID: "r1", itemID: "i1", delta: delta), at: at(170)) == [])
    }

    @Test func bargeInAfterGenerationEndedClearsButDoesNotCancel() {
        var machine = machine()
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        _ = machine.receive(.outputAudioDelta(responseID: "r1", itemID: "i1", delta: delta), at: at(0))
        _ = machine.receive(.responseDone(RealtimeResponse(id: "r1", status: "completed")), at: at(1))
        let actions = machine.receive(.speechStarted(itemID: "u1", audioStartMilliseconds: 0), at: at(50))
        #expect(actions.contains(.sendToTwilio(.clear(streamSid: "MZ1"))))
        #expect(!actions.contains { if case .sendToRealtime(.responseCancel) = $0 { true } else { false } })
    }

    @Test func speechWithNothingPlayingDoesNothing() {
        var machine = machine()
        #expect(machine.receive(.speechStarted(itemID: "u1", audioStartMilliseconds: 0), at: at(0)) == [])
    }

    @Test func oneResponseCreateOnceEveryCallIsAnsweredAndTheResponseIsDone() {
        var machine = machine()
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        let first = machine.receive(
            .functionCallArgumentsDone(
                responseID: "r1",
                itemID: "f1",
                callID: "c1",
                name: "check_availability",
                arguments: "{}"
            ),
            at: at(1)
        )
        #expect(first == [.runTool(.init(callID: "c1", name: "check_availability", arguments: "{}", responseID: "r1"))])
        _ = machine.receive(
            .functionCallArgumentsDone(
                responseID: "r1",
                itemID: "f2",
                callID: "c2",
                name: "get_job_details",
                arguments: "{}"
            ),
            at: at(1)
        )
        // An output before response.done must not trigger response.create.
        #expect(machine.toolOutputSent(callID: "c1", responseID: "r1", at: at(0)) == [])
        #expect(machine.receive(.responseDone(RealtimeResponse(id: "r1", status: "completed")), at: at(2)) == [])
        #expect(
            machine.toolOutputSent(callID: "c2", responseID: "r1", at: at(0)) == [
                .sendToRealtime(.responseCreate(instructions: nil))
            ]
        )
        // And never a second one.
        #expect(machine.toolOutputSent(callID: "c2", responseID: "r1", at: at(0)) == [])
    }

    @Test func whenOutputsArriveFirstResponseDoneTriggersTheFollowUp() {
        var machine = machine()
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        _ = machine.receive(
            .functionCallArgumentsDone(
                responseID: "r1",
                itemID: "f1",
                callID: "c1",
                name: "check_availability",
                arguments: "{}"
            ),
            at: at(1)
        )
        #expect(machine.toolOutputSent(callID: "c1", responseID: "r1", at: at(0)) == [])
        let done = machine.receive(
            .responseDone(RealtimeResponse(id: "r1", status: "completed", usage: RealtimeUsage(totalTokens: 5))),
            at: at(2)
        )
        #expect(
            done == [
                .report(.usage(responseID: "r1", RealtimeUsage(totalTokens: 5))),
                .sendToRealtime(.responseCreate(instructions: nil)),
            ]
        )
    }

    @Test func aFollowUpWaitsForAnotherActiveResponse() {
        var machine = machine()
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        _ = machine.receive(
            .functionCallArgumentsDone(
                responseID: "r1",
                itemID: "f1",
                callID: "c1",
                name: "check_availability",
                arguments: "{}"
            ),
            at: at(1)
        )
        _ = machine.receive(.responseDone(RealtimeResponse(id: "r1", status: "completed")), at: at(2))
        _ = machine.receive(.responseCreated(responseID: "r2"), at: at(3))
        #expect(machine.toolOutputSent(callID: "c1", responseID: "r1", at: at(0)) == [])
        #expect(
            machine.receive(.responseDone(RealtimeResponse(id: "r2", status: "completed")), at: at(4))
                == [.sendToRealtime(.responseCreate(instructions: nil))]
        )
    }

    @Test func aSideEffectCallOfAnInterruptedResponseIsNotRun() {
        var machine = machine()
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        _ = machine.receive(.speechStarted(itemID: "u1", audioStartMilliseconds: 0), at: at(1))
        let booking = machine.receive(
            .functionCallArgumentsDone(
                responseID: "r1",
                itemID: "f1",
                callID: "c1",
                name: "create_booking",
                arguments: "{}"
            ),
            at: at(2)
        )
        #expect(
            booking == [
                .report(.toolSkipped(name: "create_booking", callID: "c1")),
                .sendToRealtime(
                    .conversationItemCreate(
                        .functionCallOutput(callID: "c1", output: CallStateMachine.skippedToolOutput)
                    )
                ),
            ]
        )
        // A read-only call of the same response still runs, but no follow-up is asked for.
        let lookup = machine.receive(
            .functionCallArgumentsDone(
                responseID: "r1",
                itemID: "f2",
                callID: "c2",
                name: "check_availability",
                arguments: "{}"
            ),
            at: at(2)
        )
        #expect(
            lookup == [.runTool(.init(callID: "c2", name: "check_availability", arguments: "{}", responseID: "r1"))]
        )
        _ = machine.receive(
            .responseDone(RealtimeResponse(id: "r1", status: "cancelled", statusReason: "turn_detected")),
            at: at(3)
        )
        #expect(machine.toolOutputSent(callID: "c2", responseID: "r1", at: at(0)) == [])
    }

    @Test func errorsAndTranscriptsAreReportedOnly() {
        var machine = machine()
        _ = machine.receive(.sessionUpdated, at: at(0))
        let error = RealtimeError(
            type: "invalid_request_error",
            code: nil,
            message: "Audio content of 100ms is already shorter than 300ms"
        )
        #expect(machine.receive(.error(error), at: at(0)) == [.report(.realtimeError(error))])
        #expect(
            machine.receive(.inputTranscriptionCompleted(itemID: "u", transcript: "hi"), at: at(0)) == [
                .report(.callerSaid("hi"))
            ]
        )
        #expect(machine.receive(.other(type: "rate_limits.updated"), at: at(0)) == [])
    }

    @Test func aSessionThatIsRefusedNeverConfirmedOrFatallyBrokenFailsTheCall() {
        var refused = machine()
        let invalid = RealtimeError(type: "invalid_request_error", code: "invalid_value", message: "bad voice")
        #expect(
            refused.receive(.error(invalid), at: at(0)).contains(
                .failSession(reason: "the session was refused: bad voice")
            )
        )

        var stalled = machine()
        #expect(stalled.realtimeConnected().contains(.scheduleSessionCheck(after: .seconds(5))))
        #expect(stalled.sessionCheckDue().count == 1)
        _ = stalled.receive(.sessionUpdated, at: at(1))
        #expect(stalled.sessionCheckDue() == [])

        var broken = machine()
        _ = broken.receive(.sessionUpdated, at: at(0))
        let quota = RealtimeError(type: "insufficient_quota", code: "insufficient_quota", message: "no credit")
        #expect(
            broken.receive(.error(quota), at: at(1)).contains(.failSession(reason: "insufficient_quota: no credit"))
        )
    }

    @Test func base64LengthIsComputedWithoutDecoding() {
        #expect(CallStateMachine.decodedByteCount(ofBase64: "") == 0)
        #expect(CallStateMachine.decodedByteCount(ofBase64: "AA==") == 1)
        #expect(CallStateMachine.decodedByteCount(ofBase64: "AAA=") == 2)
        #expect(CallStateMachine.decodedByteCount(ofBase64: "AAAA") == 3)
        #expect(CallStateMachine.decodedByteCount(ofBase64: delta) == 960)
    }
}
