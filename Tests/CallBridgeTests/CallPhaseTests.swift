import Testing

@testable import CallBridge

/// The call's phase as a value: buffering while connecting, and the first ending wins.
struct CallPhaseTests {
    @Test func audioIsKeptWhileConnectingUpToTheLimitOldestDroppedFirst() {
        var phase = CallPhase.connecting(bufferedAudio: [])
        for frame in 1...5 {
            let kept = phase.buffer("f\(frame)", limit: 3)
            #expect(kept)
        }
        guard case .connecting(let audio) = phase else {
            Issue.record("no longer connecting: \(phase)")
            return
        }
        #expect(audio == ["f3", "f4", "f5"])
        var waiting = CallPhase.waitingForStart
        let keptBeforeStart = waiting.buffer("f1", limit: 3)
        #expect(!keptBeforeStart)
    }

    @Test func theFirstEndingWins() {
        var phase = CallPhase.connecting(bufferedAudio: ["f1"])
        let first = phase.end(.assistantHungUp)
        let second = phase.end(.callerHungUp)
        #expect(first)
        #expect(!second)
        #expect(phase.isOver)
        guard case .ending(let ending) = phase else {
            Issue.record("not ending: \(phase)")
            return
        }
        #expect(ending == .assistantHungUp)
        let keptAfterTheEnd = phase.buffer("f2", limit: 3)
        #expect(!keptAfterTheEnd)
    }
}
