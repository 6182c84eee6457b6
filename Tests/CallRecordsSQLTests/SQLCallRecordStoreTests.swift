import BookingSQL
import CallRecords
import CallRecordsSQL
import Foundation
import SQLKit
import SQLStorage
import Testing
import VoiceTesting

/// Call records on both backends: events in order, totals summed, the outcome kept; alone in a database, or beside
/// the booking tables.
@Suite(.timeLimit(.minutes(2)))
struct SQLCallRecordStoreTests {
    /// Wednesday, November 25, 2026, 10:00 in New York.
    static let now = Date(timeIntervalSince1970: 1_795_618_800)

    static func withStore(_ backend: TestDatabase, _ body: (SQLCallRecordStore) async throws -> Void) async throws {
        try await backend.withStorage { storage in
            let store = SQLCallRecordStore(storage: storage)
            try await store.prepare(logger: TestDatabase.quietLogger)
            // Preparing twice is harmless: migrations run once.
            try await store.prepare(logger: TestDatabase.quietLogger)
            try await body(store)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aCallRecordKeepsEverythingThatHappenedInOrder(backend: TestDatabase) async throws {
        try await Self.withStore(backend) { store in
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

    @Test(arguments: TestDatabase.allCases)
    func eventsForACallNeverSeenComingInStillMakeARecord(backend: TestDatabase) async throws {
        try await Self.withStore(backend) { store in
            let sid = "CA" + String(repeating: "4", count: 32)
            try await store.append(.status("completed", durationSeconds: 3), callSid: sid, at: Self.now)
            let record = try #require(try await store.callRecord(callSid: sid))
            #expect(record.caller == nil)
            #expect(record.statusHistory.map(\.status) == ["completed"])
        }
    }

    /// A booking database from before issue 12 made the call tables in its own version 3: the call records'
    /// migrations find them there and keep what they hold.
    @Test(arguments: TestDatabase.allCases)
    func aBookingDatabaseThatAlreadyHeldCallRecordsKeepsThem(backend: TestDatabase) async throws {
        try await backend.withStorage { storage in
            let sid = "CA" + String(repeating: "5", count: 32)
            try await storage.database.raw(
                """
                CREATE TABLE calls (call_sid TEXT PRIMARY KEY, caller TEXT, started_at TEXT NOT NULL, ended_at TEXT,
                status TEXT, duration_seconds INTEGER, outcome TEXT, job_id TEXT,
                input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
                cost_micro_dollars INTEGER NOT NULL DEFAULT 0)
                """
            ).run()
            try await storage.database.raw(
                """
                INSERT INTO calls (call_sid, caller, started_at, outcome)
                VALUES (\(bind: sid), \(bind: "+14155552671"), \(bind: SQLTimestamp.text(Self.now)), 'booked')
                """
            ).run()
            let store = SQLCallRecordStore(storage: storage)
            try await store.prepare(logger: TestDatabase.quietLogger)
            let record = try #require(try await store.callRecord(callSid: sid))
            #expect(record.outcome == .booked)
            #expect(record.caller == "+14155552671")
        }
    }

    /// The booking tables and the call records share one database in embedded mode, and each part keeps its own
    /// list of applied versions.
    @Test(arguments: TestDatabase.allCases)
    func callRecordsAndBookingsShareADatabase(backend: TestDatabase) async throws {
        try await backend.withStorage { storage in
            let bookings = SQLBookingStore(storage: storage, logger: TestDatabase.quietLogger)
            try await bookings.prepare(crews: [], trucks: [])
            let records = SQLCallRecordStore(storage: storage)
            try await records.prepare(logger: TestDatabase.quietLogger)
            let sid = "CA" + String(repeating: "6", count: 32)
            try await records.callStarted(callSid: sid, caller: nil, at: Self.now)
            #expect(try await records.callRecord(callSid: sid) != nil)
            let versions = try await storage.database.raw("SELECT version FROM call_record_migrations").all()
            #expect(versions.count == 2)
        }
    }

    /// What the office's timeline needs (issue 17): each tool call's arguments and result, barge-ins, the caller's
    /// waits; all in order, with the figures over a day.
    @Test(arguments: TestDatabase.allCases)
    func theTimelineKeepsToolDetailsBargeInsAndWaitsAndTheFiguresSumThem(backend: TestDatabase) async throws {
        try await Self.withStore(backend) { store in
            func at(_ seconds: Double) -> Date { Self.now.addingTimeInterval(seconds) }
            let booked = "CA" + String(repeating: "4", count: 32)
            try await store.callStarted(callSid: booked, caller: "+14155552671", at: at(0))
            try await store.append(.responseLatency(milliseconds: 300), callSid: booked, at: at(1))
            try await store.append(.bargeIn(heardMilliseconds: 1200), callSid: booked, at: at(2))
            try await store.append(
                .tool(
                    name: "create_booking",
                    latencyMilliseconds: 21,
                    ok: true,
                    arguments: #"{"window":"morning"}"#,
                    result: #"{"job_id":"QM-7K3P9D"}"#
                ),
                callSid: booked,
                at: at(3)
            )
            try await store.append(.responseLatency(milliseconds: 500), callSid: booked, at: at(4))
            try await store.append(
                .usage(inputTokens: 1, outputTokens: 1, costMicroDollars: 30_000),
                callSid: booked,
                at: at(4)
            )
            try await store.append(.outcome(.booked, jobID: "QM-7K3P9D"), callSid: booked, at: at(5))
            try await store.append(.status("completed", durationSeconds: 60), callSid: booked, at: at(6))
            let other = "CA" + String(repeating: "5", count: 32)
            try await store.callStarted(callSid: other, caller: "+12125550123", at: at(10))
            try await store.append(.responseLatency(milliseconds: 900), callSid: other, at: at(11))
            try await store.append(.outcome(.endedByCaller, jobID: nil), callSid: other, at: at(12))
            try await store.append(.status("completed", durationSeconds: 20), callSid: other, at: at(13))

            let record = try #require(try await store.callRecord(callSid: booked))
            #expect(record.responseLatencies == [300, 500])
            #expect(record.bargeIns == [1200])
            #expect(record.toolCalls.first?.arguments == #"{"window":"morning"}"#)
            #expect(record.toolCalls.first?.result == #"{"job_id":"QM-7K3P9D"}"#)
            #expect(
                record.timeline.map(\.event) == [
                    .responseLatency(milliseconds: 300),
                    .bargeIn(heardMilliseconds: 1200),
                    .tool(
                        name: "create_booking",
                        latencyMilliseconds: 21,
                        ok: true,
                        arguments: #"{"window":"morning"}"#,
                        result: #"{"job_id":"QM-7K3P9D"}"#
                    ),
                    .responseLatency(milliseconds: 500),
                    .outcome(.booked, jobID: "QM-7K3P9D"),
                    .status("completed", durationSeconds: 60),
                ]
            )

            let page = try await store.calls(matching: CallListFilter(), limit: 10, offset: 0)
            #expect(page.calls.map(\.callSid) == [other, booked])
            #expect(page.calls.last?.averageResponseMilliseconds == 400)
            #expect(!page.more)
            let figures = try await store.figures(from: at(-60), to: at(60))
            #expect(figures.calls == 2 && figures.booked == 1)
            #expect(figures.conversion == 0.5)
            #expect(figures.averageDurationSeconds == 40)
            #expect(figures.averageCostMicroDollars == 15_000)
            #expect(figures.responseP50Milliseconds == 500)
            #expect(figures.responseP90Milliseconds == 900)
            let none = try await store.figures(from: at(3600), to: at(7200))
            #expect(none.calls == 0 && none.conversion == nil && none.responseP50Milliseconds == nil)
        }
    }
}
