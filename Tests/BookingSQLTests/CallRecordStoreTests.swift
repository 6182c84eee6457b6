import CallRecords
import Foundation
import Testing

@testable import BookingSQL

/// Call records on both backends: events in order, totals summed, the outcome kept.
extension BookingStoreTests {
    @Test(arguments: Backend.allCases)
    func aCallRecordKeepsEverythingThatHappenedInOrder(backend: Backend) async throws {
        try await Self.withService(backend) { _, store in
            let start = Self.now
            func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }
            let sid = "CA" + String(repeating: "3", count: 32)
            try await store.callStarted(callSid: sid, caller: "+14155552671", at: at(0))
            // A second webhook for the same call changes nothing.
            try await store.callStarted(callSid: sid, caller: "+10000000000", at: at(1))
            try await store.append(.status("in-progress", durationSeconds: nil), callSid: sid, at: at(1))
            try await store.append(.callerSaid("I need to move on Friday."), callSid: sid, at: at(2))
            try await store.append(.assistantSaid("Friday morning is free."), callSid: sid, at: at(3))
            try await store.append(
                .tool(name: "check_availability", latencyMilliseconds: 14, ok: true),
                callSid: sid,
                at: at(3)
            )
            try await store.append(
                .tool(name: "create_booking", latencyMilliseconds: 21, ok: false),
                callSid: sid,
                at: at(4)
            )
            try await store.append(
                .usage(inputTokens: 100, outputTokens: 50, costMicroDollars: 4000),
                callSid: sid,
                at: at(4)
            )
            try await store.append(
                .usage(inputTokens: 10, outputTokens: 5, costMicroDollars: 400),
                callSid: sid,
                at: at(5)
            )
            try await store.append(.outcome(.booked, jobID: "QM-7K3P9D"), callSid: sid, at: at(6))
            try await store.append(.status("completed", durationSeconds: 42), callSid: sid, at: at(7))

            let record = try #require(try await store.callRecord(callSid: sid))
            #expect(record.caller == "+14155552671")
            #expect(record.statusHistory.map(\.status) == ["in-progress", "completed"])
            #expect(record.status == "completed")
            #expect(record.durationSeconds == 42)
            #expect(record.transcript.map(\.speaker) == ["caller", "assistant"])
            #expect(record.transcript.first?.text == "I need to move on Friday.")
            #expect(record.toolCalls.map(\.name) == ["check_availability", "create_booking"])
            #expect(record.toolCalls.map(\.ok) == [true, false])
            #expect(record.toolCalls.first?.latencyMilliseconds == 14)
            #expect(record.inputTokens == 110)
            #expect(record.outputTokens == 55)
            #expect(record.costMicroDollars == 4400)
            #expect(record.outcome == .booked)
            #expect(record.jobID == "QM-7K3P9D")
            #expect(record.endedAt != nil)
            #expect(try await store.callRecord(callSid: "CA-unknown") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func eventsForACallNeverSeenComingInStillMakeARecord(backend: Backend) async throws {
        try await Self.withService(backend) { _, store in
            let sid = "CA" + String(repeating: "4", count: 32)
            try await store.append(.status("completed", durationSeconds: 3), callSid: sid, at: Self.now)
            let record = try #require(try await store.callRecord(callSid: sid))
            #expect(record.caller == nil)
            #expect(record.statusHistory.map(\.status) == ["completed"])
        }
    }
}
