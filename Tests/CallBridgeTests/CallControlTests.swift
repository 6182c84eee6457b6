import RealtimeAPI
import Testing
import TwilioMedia

@testable import CallBridge

/// `end_call` and `transfer_to_human`: run only once the response is done and its audio has played; a barge-in
/// before that cancels them.
@Suite struct CallControlTests {
    let t0 = ContinuousClock.now
    /// 120 ms of µ-law, base64 (960 bytes).
    let delta = String(repeating: "AAAA", count: 320)

    func at(_ milliseconds: Int) -> ContinuousClock.Instant {
        t0 + .milliseconds(milliseconds)
    }

    func machine() -> CallStateMachine {
        CallStateMachine(
            streamSid: "MZ1",
            session: RealtimeSessionConfiguration(
                instructions: "i",
                voice: "marin",
                transcriptionModel: nil,
                tools: []
            ),
            greetingInstructions: "greet",
            toolsWithSideEffects: [],
            callControlTools: [.endCall, .transferToHuman]
        )
    }

    /// A goodbye of two 120 ms deltas, then `end_call`, in response r1.
    func sayGoodbyeAndEndTheCall(
        _ machine: inout CallStateMachine,
        tool: String = "end_call"
    ) -> [CallStateMachine.Action] {
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        _ = machine.receive(.outputAudioDelta(responseID: "r1", itemID: "i1", delta: delta), at: at(0))
        _ = machine.receive(.outputAudioDelta(responseID: "r1", itemID: "i1", delta: delta), at: at(0))
        return machine.receive(
            .functionCallArgumentsDone(responseID: "r1", itemID: "f1", callID: "c1", name: tool, arguments: "{}"),
            at: at(10)
        )
    }

    @Test func theCallEndsOnlyOnceTheLastMarkOfTheGoodbyeComesBack() {
        var machine = machine()
        // Not before the response is done, and no tool task is started for it.
        #expect(sayGoodbyeAndEndTheCall(&machine) == [])
        // Done, but 240 ms still playing: a check is scheduled in case the marks never come back.
        let done = machine.receive(.responseDone(RealtimeResponse(id: "r1", status: "completed")), at: at(20))
        #expect(done == [.scheduleCallControlCheck(after: .milliseconds(220) + CallStateMachine.callControlGrace)])
        #expect(machine.markEchoed("m1", at: at(120)) == [])
        #expect(machine.markEchoed("m2", at: at(240)) == [.controlCall(.endCall, callID: "c1")])
        // Once only.
        #expect(machine.callControlCheckDue(at: at(3000)) == [])
    }

    @Test func withoutMarkEchoesTheScheduledCheckEndsTheCall() {
        var machine = machine()
        _ = sayGoodbyeAndEndTheCall(&machine)
        _ = machine.receive(.responseDone(RealtimeResponse(id: "r1", status: "completed")), at: at(20))
        #expect(machine.callControlCheckDue(at: at(2300)) == [.controlCall(.endCall, callID: "c1")])
        #expect(machine.markEchoed("m2", at: at(2400)) == [])
    }

    @Test func noFollowUpResponseIsAskedForAfterEndCall() {
        var machine = machine()
        _ = sayGoodbyeAndEndTheCall(&machine)
        let done = machine.receive(.responseDone(RealtimeResponse(id: "r1", status: "completed")), at: at(20))
        #expect(!done.contains(.sendToRealtime(.responseCreate(instructions: nil))))
    }

    @Test func aBargeInCancelsThePendingEndCallAndTellsTheModel() {
        var machine = machine()
        _ = sayGoodbyeAndEndTheCall(&machine)
        _ = machine.receive(.responseDone(RealtimeResponse(id: "r1", status: "completed")), at: at(20))
        let bargeIn = machine.receive(.speechStarted(itemID: "u1", audioStartMilliseconds: 100), at: at(100))
        #expect(bargeIn.contains(.report(.callControlCancelled(.endCall))))
        #expect(
            bargeIn.contains(
                .sendToRealtime(
                    .conversationItemCreate(
                        .functionCallOutput(callID: "c1", output: CallStateMachine.cancelledCallControlOutput)
                    )
                )
            )
        )
        #expect(bargeIn.contains(.sendToTwilio(.clear(streamSid: "MZ1"))))
        // Neither the marks nor the check end the call any more.
        #expect(machine.markEchoed("m1", at: at(120)) == [])
        #expect(machine.callControlCheckDue(at: at(3000)) == [])
    }

    @Test func aSecondRequestWhileOneIsPendingIsAnsweredAtOnce() {
        var machine = machine()
        _ = sayGoodbyeAndEndTheCall(&machine)
        let second = machine.receive(
            .functionCallArgumentsDone(responseID: "r1", itemID: "f2", callID: "c2", name: "end_call", arguments: "{}"),
            at: at(11)
        )
        #expect(
            second == [
                .sendToRealtime(
                    .conversationItemCreate(
                        .functionCallOutput(callID: "c2", output: CallStateMachine.duplicateCallControlOutput)
                    )
                )
            ]
        )
    }

    @Test func aFailedTransferIsReportedAndAnswered() {
        var machine = machine()
        _ = sayGoodbyeAndEndTheCall(&machine, tool: "transfer_to_human")
        _ = machine.receive(.responseDone(RealtimeResponse(id: "r1", status: "completed")), at: at(20))
        _ = machine.markEchoed("m2", at: at(240))
        let failed = machine.callControlFailed(callID: "c1", message: "The transfer did not go through.")
        #expect(
            failed == [
                .sendToRealtime(
                    .conversationItemCreate(
                        .functionCallOutput(callID: "c1", output: #"{"error":"The transfer did not go through."}"#)
                    )
                ),
                .sendToRealtime(.responseCreate(instructions: nil)),
            ]
        )
    }

    @Test func aToolThatWasNotOfferedIsRunLikeAnyOther() {
        var machine = CallStateMachine(
            streamSid: "MZ1",
            session: RealtimeSessionConfiguration(
                instructions: "i",
                voice: "marin",
                transcriptionModel: nil,
                tools: []
            ),
            greetingInstructions: "greet",
            toolsWithSideEffects: []
        )
        _ = machine.receive(.responseCreated(responseID: "r1"), at: at(0))
        let actions = machine.receive(
            .functionCallArgumentsDone(responseID: "r1", itemID: "f1", callID: "c1", name: "end_call", arguments: "{}"),
            at: at(1)
        )
        #expect(actions == [.runTool(.init(callID: "c1", name: "end_call", arguments: "{}", responseID: "r1"))])
    }

    @Test func zeroOnTheKeypadTransfersAtOnceAndAFailedTransferIsToldAsANote() {
        var machine = machine()
        #expect(machine.keyPressed("0") == [.controlCall(.transferToHuman, callID: CallStateMachine.keypadCallID)])
        // A second key while the transfer runs changes nothing.
        #expect(machine.keyPressed("0") == [])
        let failed = machine.callControlFailed(callID: CallStateMachine.keypadCallID, message: "no answer")
        #expect(
            failed.first
                == .sendToRealtime(
                    .conversationItemCreate(
                        .userText("(The caller pressed 0 for a person, but the transfer did not go through: no answer)")
                    )
                )
        )
        #expect(failed.contains(.sendToRealtime(.responseCreate(instructions: nil))))
        #expect(
            machine.keyPressed("7") == [
                .sendToRealtime(.conversationItemCreate(.userText("(The caller pressed 7 on their phone's keypad.)"))),
                .sendToRealtime(.responseCreate(instructions: nil)),
            ]
        )
    }
}
