import CallRecords
import CallRecordsSQL
import Foundation
import Synchronization
import Testing
import VoiceTesting

@testable import VoiceServer

/// The relay never waits on the database (issue 14): call-record writes go through the journal's own queue.
extension CallTests {
    /// A call-record store that takes `delay` over every event it appends, and counts them.
    struct SlowCallRecords: CallRecordStore {
        let base: any CallRecordStore
        let delay: Duration
        let appended = Counter()

        final class Counter: Sendable {
            let value = Mutex(0)
        }

        func callStarted(callSid: String, caller: String?, at: Date) async throws {
            try await base.callStarted(callSid: callSid, caller: caller, at: at)
        }

        func append(_ event: CallEvent, callSid: String, at: Date) async throws {
            try await Task.sleep(for: delay)
            try await base.append(event, callSid: callSid, at: at)
            appended.value.withLock { $0 += 1 }
        }

        func callRecord(callSid: String) async throws -> CallRecord? {
            try await base.callRecord(callSid: callSid)
        }
    }

    @Test func aDatabaseTakingTwoSecondsPerWriteChangesNothingTheCallerHears() async throws {
        let script = FakeRealtimeScript(
            responses: [.speech("NYC Quick Movers, how can I help?", milliseconds: 400)],
            callerTranscripts: ["I'd like to move on Friday.", "A two-bedroom."],
            fallback: .speech("Sure.", milliseconds: 400)
        )
        let metrics = ServerMetrics()
        let slow = Mutex<SlowCallRecords?>(nil)
        try await withCallServer(
            script: script,
            metrics: metrics,
            journalStore: { base in
                let store = SlowCallRecords(base: base, delay: .seconds(2))
                slow.withLock { $0 = store }
                return store
            }
        ) { client, server, _ in
            let report = try await Self.caller(client, callSid: Self.callSid).call([
                .waitForPlayedAudio(milliseconds: 400), .speak(milliseconds: 300), .silence(milliseconds: 600),
                .waitForPlayedAudio(milliseconds: 800), .speak(milliseconds: 300), .silence(milliseconds: 600),
                .waitForPlayedAudio(milliseconds: 1200), .hangUp,
            ])
            #expect(report.playedMilliseconds >= 1200)
            // Each answer came as fast as without a database: the transcript writes (2 s each) did not hold the
            // Realtime read loop, which would have delayed every answer by at least 2 s.
            let scrape = String(decoding: metrics.scrape(), as: UTF8.self)
            let count = try #require(Self.sample("voice_response_latency_seconds_count", in: scrape))
            let sum = try #require(Self.sample("voice_response_latency_seconds_sum", in: scrape))
            #expect(count == 2)
            #expect(sum / count < 1.0, "mean response latency \(sum / count) s")

            // Everything was written in the end, in order, the outcome last.
            var record: CallRecord?
            let written = try await eventually(timeout: .seconds(30), every: .milliseconds(200)) {
                record = try await server.callRecords.callRecord(callSid: Self.callSid)
                return record?.outcome != nil
            }
            #expect(written)
            let callerLines = record?.transcript.filter { $0.speaker == "caller" }.map(\.text)
            #expect(callerLines == ["I'd like to move on Friday.", "A two-bedroom."])
            #expect((slow.withLock { $0?.appended.value.withLock { $0 } } ?? 0) >= 5)
        }
    }

    @Test func aFullQueueMergesTheOldestTurnsAndKeepsToolCallsAndTheOutcome() {
        var events: [(event: CallEvent, at: Date)] = [
            (.tool(name: "create_booking", latencyMilliseconds: 40, ok: true), Date()),
            (.callerSaid("Friday"), Date()), (.callerSaid("please"), Date()),
            (.assistantSaid("Sure"), Date()), (.outcome(.booked, jobID: "QM-7K3P9D"), Date()),
        ]
        CallEventQueue.mergeOldest(&events)
        #expect(events.count == 4)
        #expect(events[1].event == .callerSaid("Friday please"))
        events = [
            (.tool(name: "create_booking", latencyMilliseconds: 40, ok: true), Date()),
            (.callerSaid("Friday"), Date()), (.outcome(.booked, jobID: "QM-7K3P9D"), Date()),
        ]
        CallEventQueue.mergeOldest(&events)
        #expect(
            events.map(\.event) == [
                .tool(name: "create_booking", latencyMilliseconds: 40, ok: true), .outcome(.booked, jobID: "QM-7K3P9D"),
            ]
        )
    }
}
