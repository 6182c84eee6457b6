import Booking
import BookingMCP
import BookingSQL
import Foundation
import Logging
import MCP
import Testing
import VoiceTesting

/// The booking tools as MCP sees them: what a booking did travels as data in `_meta`, and refusals are errors with
/// words the assistant can say.
@Suite(.timeLimit(.minutes(1)))
struct BookingToolboxTests {
    static func withToolbox(_ body: (BookingToolbox, BookingService) async throws -> Void) async throws {
        try await TestDatabase.sqlite.withStorage { storage in
            let store = SQLBookingStore(storage: storage, logger: TestDatabase.quietLogger)
            let policy = BookingPolicy.standard()
            try await store.prepare(crews: policy.crews, trucks: policy.trucks)
            let service = BookingService(store: store, policy: policy, businessName: "NYC Quick Movers")
            try await body(BookingToolbox(service: service, logger: TestDatabase.quietLogger), service)
        }
    }

    static func text(of result: CallTool.Result) -> String {
        result.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }.joined()
    }

    @Test func aBookingSaysWhichJobItBookedInItsMeta() async throws {
        try await Self.withToolbox { toolbox, service in
            var date = service.today.adding(days: 2)
            while date.weekday == .sunday { date = date.adding(days: 1) }
            let arguments: [String: Value] = [
                "customer_name": "Dana Whitfield", "pickup_address": "12 Grand St", "dropoff_address": "400 W 57th St",
                "date": .string(date.iso), "window": "morning", "home_size": "studio",
            ]
            let meta = Metadata(additionalFields: ["callerNumber": "+14155552671", "idempotencyKey": "CA1:call_1"])
            let booked = await toolbox.call(
                CallTool.Parameters(name: "create_booking", arguments: arguments, meta: meta)
            )
            #expect(booked.isError != true, "\(Self.text(of: booked))")
            let job = try #require(try await service.jobs(phone: "+14155552671").first)
            #expect(booked._meta?[BookingResultMeta.bookedJobID]?.stringValue == job.id)

            // The same key again finds the same job, and says so the same way.
            let again = await toolbox.call(
                CallTool.Parameters(name: "create_booking", arguments: arguments, meta: meta)
            )
            #expect(again._meta?[BookingResultMeta.bookedJobID]?.stringValue == job.id)
            #expect(try await service.jobs(phone: "+14155552671").count == 1)

            // A read-only tool carries no such data.
            let availability = await toolbox.call(
                CallTool.Parameters(name: "check_availability", arguments: ["date": .string(date.iso)])
            )
            #expect(availability._meta == nil)
        }
    }

    @Test func refusalsAreErrorsWithWordsAndBookNothing() async throws {
        try await Self.withToolbox { toolbox, service in
            let refused = await toolbox.call(
                CallTool.Parameters(name: "create_booking", arguments: ["customer_name": "Dana"])
            )
            #expect(refused.isError == true)
            #expect(refused._meta == nil)
            #expect(!Self.text(of: refused).isEmpty)
            let unknown = await toolbox.call(CallTool.Parameters(name: "book_everything", arguments: [:]))
            #expect(unknown.isError == true)
            #expect(Self.text(of: unknown).contains("book_everything"))
            let jobs = try await service.jobs(phone: "+14155552671")
            #expect(jobs.isEmpty)
        }
    }
}
