import Testing

@testable import CallBridge

@Suite struct PlaybackTrackerTests {
    let t0 = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant {
        t0 + .milliseconds(milliseconds)
    }

    /// 100 ms of µ-law.
    let chunk = 800

    @Test func echoedMarksAdvanceWhatWasHeard() {
        var tracker = PlaybackTracker()
        let first = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        let second = tracker.audioSent(itemID: "a", bytes: chunk, at: at(1))
        #expect(tracker.sentMilliseconds(of: "a") == 200)
        #expect(tracker.hasUnplayedAudio)
        #expect(tracker.playingItemID == "a")
        tracker.markEchoed(first, at: at(100))
        #expect(tracker.heardMilliseconds(of: "a", at: at(100)) == 100)
        tracker.markEchoed(second, at: at(200))
        #expect(tracker.heardMilliseconds(of: "a", at: at(200)) == 200)
        #expect(!tracker.hasUnplayedAudio)
        // Nothing more plays once the queue is empty.
        #expect(tracker.heardMilliseconds(of: "a", at: at(900)) == 200)
    }

    @Test func betweenMarksThePositionIsInterpolatedButNeverPassesWhatWasSent() {
        var tracker = PlaybackTracker()
        _ = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        _ = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        // Audio started playing when it was sent into an empty queue.
        #expect(tracker.heardMilliseconds(of: "a", at: at(40)) == 40)
        // A late echo does not hold it back: queued audio plays on.
        #expect(tracker.heardMilliseconds(of: "a", at: at(160)) == 160)
        // Capped at what was sent (200 ms) even if the clock runs on.
        #expect(tracker.heardMilliseconds(of: "a", at: at(900)) == 200)
    }

    @Test func marksEchoInOrderSoALaterEchoCoversEarlierOnes() {
        var tracker = PlaybackTracker()
        _ = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        let second = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        _ = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        tracker.markEchoed(second, at: at(200))
        #expect(tracker.heardMilliseconds(of: "a", at: at(200)) == 200)
        #expect(tracker.heardMilliseconds(of: "a", at: at(250)) == 250)
    }

    @Test func clearReportsWhatWasHeardAndIgnoresLateEchoes() {
        var tracker = PlaybackTracker()
        let first = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        let second = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        let third = tracker.audioSent(itemID: "b", bytes: chunk, at: at(0))
        tracker.markEchoed(first, at: at(100))
        let cut = tracker.clear(at: at(130))
        #expect(cut.map(\.itemID) == ["a", "b"])
        #expect(cut.map(\.heardMilliseconds) == [130, 0])
        #expect(!tracker.hasUnplayedAudio)
        // Twilio returns the pending marks after a clear: they were discarded, not played.
        tracker.markEchoed(second, at: at(131))
        tracker.markEchoed(third, at: at(131))
        #expect(tracker.heardMilliseconds(of: "a", at: at(500)) == 130)
        #expect(tracker.heardMilliseconds(of: "b", at: at(500)) == 0)
        #expect(tracker.sentMilliseconds(of: "a") == 130)
    }

    @Test func theNextItemStartsWhereTheLastMarkOfThePreviousOneEchoed() {
        var tracker = PlaybackTracker()
        let a = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        _ = tracker.audioSent(itemID: "b", bytes: chunk, at: at(0))
        tracker.markEchoed(a, at: at(100))
        #expect(tracker.playingItemID == "b")
        #expect(tracker.heardMilliseconds(of: "b", at: at(150)) == 50)
        #expect(tracker.heardMilliseconds(of: "a", at: at(150)) == 100)
    }

    @Test func unknownMarksAreIgnored() {
        var tracker = PlaybackTracker()
        _ = tracker.audioSent(itemID: "a", bytes: chunk, at: at(0))
        tracker.markEchoed("not-ours", at: at(10))
        #expect(tracker.hasUnplayedAudio)
    }
}
