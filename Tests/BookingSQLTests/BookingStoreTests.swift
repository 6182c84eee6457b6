import Booking
import Foundation
import Logging
import Testing
import VoiceTesting

@testable import BookingSQL

/// The same suite on both backends: SQLite always; PostgreSQL at `TEST_POSTGRES_URL`. Without that server the
/// PostgreSQL cases say they are skipped, except under `CI=true`, where they fail.
@Suite(.timeLimit(.minutes(2)))
struct BookingStoreTests {
    typealias Backend = TestDatabase

    /// Wednesday, November 25, 2026, 10:00 in New York.
    static let now = Date(timeIntervalSince1970: 1_795_618_800)

    static func withService(
        _ backend: Backend,
        policy: BookingPolicy = .standard(),
        _ body: (BookingService, SQLBookingStore) async throws -> Void
    ) async throws {
        try await backend.withStorage { storage in
            let store = SQLBookingStore(storage: storage, logger: TestDatabase.quietLogger)
            try await store.prepare(crews: policy.crews, trucks: policy.trucks)
            // Preparing twice is harmless: migrations run once.
            try await store.prepare(crews: policy.crews, trucks: policy.trucks)
            try await body(
                BookingService(store: store, policy: policy, businessName: "NYC Quick Movers", now: { now }),
                store
            )
        }
    }

    /// One crew and one truck: every date and window has exactly one slot.
    static var oneCrewPolicy: BookingPolicy {
        var policy = BookingPolicy.standard()
        policy.crews = [Crew(id: "crew-1", name: "Crew 1", size: 4)]
        policy.trucks = [Truck(id: "truck-1", name: "26 ft truck", size: .large)]
        return policy
    }

    static func request(
        date: String = "next Friday",
        window: TimeWindow = .morning,
        homeSize: HomeSize = .studio,
        phone: String = "+14155552671",
        key: String? = nil
    ) -> BookingService.BookingRequest {
        BookingService.BookingRequest(
            customerName: "Ada Lovelace",
            phone: phone,
            pickupAddress: "12 Main St, Brooklyn",
            dropoffAddress: "34 Elm Ave, Queens",
            date: date,
            window: window,
            homeSize: homeSize,
            idempotencyKey: key,
            callSid: "CA1"
        )
    }

    @Test(arguments: Backend.allCases)
    func aBookingIsStoredAndFoundByIDAndPhone(backend: Backend) async throws {
        try await Self.withService(backend) { service, _ in
            let (job, created) = try await service.createBooking(Self.request(homeSize: .twoBedroom))
            #expect(created)
            #expect(job.date.iso == "2026-12-04")
            #expect(job.status == .confirmed)
            #expect(job.priceEstimateCents == 5_500 * 3 * 6 + 14_900)
            #expect(job.crewSize == 3)
            #expect(try await service.job(id: job.id.lowercased()) == job)
            #expect(try await service.jobs(phone: "(415) 555-2671") == [job])
            #expect(try await service.jobs(phone: "+12125550000").isEmpty)
            await #expect(throws: BookingError.jobNotFound("QM-NOPE22")) { try await service.job(id: "QM-NOPE22") }
        }
    }

    @Test(arguments: Backend.allCases)
    func theSameIdempotencyKeyGivesOneJob(backend: Backend) async throws {
        try await Self.withService(backend) { service, store in
            let first = try await service.createBooking(Self.request(key: "CA1:call_1"))
            let replay = try await service.createBooking(Self.request(key: "CA1:call_1"))
            #expect(first.created)
            #expect(!replay.created)
            #expect(replay.job == first.job)
            // Concurrent replays too.
            let keys = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await service.createBooking(Self.request(date: "December 7", key: "CA2:call_9")).job.id
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(keys.count == 1)
            #expect(try await store.jobs(phone: "+14155552671").count == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func fiftyCallersRaceForTheLastSlotAndOneWins(backend: Backend) async throws {
        try await Self.withService(backend, policy: Self.oneCrewPolicy) { service, store in
            let outcomes = await withTaskGroup(of: Result<String, any Error>.self) { group in
                for caller in 0..<50 {
                    group.addTask {
                        do {
                            let phone = "+1415555" + String(format: "%04d", caller)
                            return .success(try await service.createBooking(Self.request(phone: phone)).job.id)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            let refusals = outcomes.compactMap { outcome -> BookingError? in
                if case .failure(let error) = outcome { error as? BookingError } else { nil }
            }
            let otherErrors = outcomes.compactMap { outcome -> String? in
                if case .failure(let error) = outcome, !(error is BookingError) { "\(error)" } else { nil }
            }
            #expect(otherErrors.isEmpty, "errors that are not refusals: \(otherErrors)")
            #expect(winners.count == 1)
            #expect(refusals.count == 49)
            #expect(refusals.allSatisfy { $0 == .slotTaken(CalendarDate(year: 2026, month: 12, day: 4), .morning) })
            #expect(refusals.first?.speakableMessage.contains("no longer available") == true)
            let usage = try await store.usage(on: CalendarDate(year: 2026, month: 12, day: 4))
            #expect(usage[.morning] == SlotUsage(crewIDs: ["crew-1"], truckIDs: ["truck-1"]))
        }
    }

    @Test(arguments: Backend.allCases)
    func cancellingFreesTheSlotAndFinalStatusesStayFinal(backend: Backend) async throws {
        try await Self.withService(backend) { service, _ in
            var jobs: [Job] = []
            for caller in 0..<4 {
                jobs.append(try await service.createBooking(Self.request(phone: "+1212555000\(caller)")).job)
            }
            #expect(Set(jobs.map(\.crewID)).count == 4)
            await #expect(throws: BookingError.self) {
                try await service.createBooking(Self.request(phone: "+12125559999"))
            }
            let availability = try await service.availability(dateText: "next friday", homeSize: .studio)
            #expect(availability.windows.map(\.available) == [false, true])
            #expect(availability.windows.map(\.window) == [.morning, .afternoon])

            let cancelled = try await service.updateStatus(jobID: jobs[0].id, to: .cancelled)
            #expect(cancelled.status == .cancelled)
            _ = try await service.createBooking(Self.request(phone: "+12125559999"))
            await #expect(throws: BookingError.invalidTransition(jobID: jobs[0].id, from: .cancelled, to: .confirmed)) {
                try await service.updateStatus(jobID: jobs[0].id, to: .confirmed)
            }
            _ = try await service.updateStatus(jobID: jobs[1].id, to: .scheduled)
            _ = try await service.updateStatus(jobID: jobs[1].id, to: .inProgress)
            _ = try await service.updateStatus(jobID: jobs[1].id, to: .completed)
            await #expect(throws: BookingError.self) {
                try await service.updateStatus(jobID: jobs[1].id, to: .cancelled)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func reschedulingClaimsTheNewSlotAndFreesTheOld(backend: Backend) async throws {
        try await Self.withService(backend, policy: Self.oneCrewPolicy) { service, store in
            let job = try await service.createBooking(Self.request()).job
            let moved = try await service.reschedule(jobID: job.id, dateText: "Saturday", window: .afternoon)
            #expect(moved.id == job.id)
            #expect(moved.date.iso == "2026-11-28")
            #expect(moved.window == .afternoon)
            #expect(moved.status == .rescheduled)
            #expect(try await store.usage(on: CalendarDate(year: 2026, month: 12, day: 4)).isEmpty)
            // The old slot is free again; the new one is taken.
            _ = try await service.createBooking(Self.request(phone: "+12125550001"))
            await #expect(throws: BookingError.slotTaken(CalendarDate(year: 2026, month: 11, day: 28), .afternoon)) {
                _ = try await service.createBooking(
                    Self.request(date: "Saturday", window: .afternoon, phone: "+12125550002")
                )
            }
            await #expect(throws: BookingError.slotTaken(CalendarDate(year: 2026, month: 12, day: 4), .morning)) {
                _ = try await service.reschedule(jobID: job.id, dateText: "next friday", window: .morning)
            }
            // Staying in its own slot is allowed.
            _ = try await service.reschedule(jobID: job.id, dateText: "Saturday", window: .afternoon)
        }
    }

    @Test(arguments: Backend.allCases)
    func theConfirmationIsWrittenOnceUnlessResent(backend: Backend) async throws {
        try await Self.withService(backend) { service, _ in
            let job = try await service.createBooking(Self.request()).job
            let results = try await withThrowingTaskGroup(of: OutboxMessage.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await service.confirmation(jobID: job.id, resend: false).message }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.id)).count == 1)
            let message = try #require(results.first)
            #expect(message.sequence == 1)
            #expect(message.recipient == "+14155552671")
            #expect(message.body.contains(job.id))
            #expect(message.body.contains("Friday, December 4, 2026"))
            #expect(message.body.contains("NYC Quick Movers"))
            #expect(message.body.unicodeScalars.allSatisfy { $0.isASCII })
            #expect(message.body.count <= 306)
            let resent = try await service.confirmation(jobID: job.id, resend: true)
            #expect(resent.created)
            #expect(resent.message.sequence == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func datesAreCheckedAgainstTheCalendar(backend: Backend) async throws {
        try await Self.withService(backend) { service, _ in
            await #expect(throws: BookingError.dateInPast(CalendarDate(year: 2026, month: 11, day: 24))) {
                try await service.availability(dateText: "2026-11-24", homeSize: nil)
            }
            await #expect(throws: BookingError.closedDay(CalendarDate(year: 2026, month: 11, day: 29))) {
                try await service.availability(dateText: "Sunday", homeSize: nil)
            }
            let last = CalendarDate(year: 2027, month: 3, day: 25)
            await #expect(
                throws: BookingError.beyondHorizon(CalendarDate(year: 2027, month: 6, day: 1), lastBookable: last)
            ) {
                try await service.availability(dateText: "June 1st 2027", homeSize: nil)
            }
            let today = try await service.availability(dateText: "today", homeSize: .threeBedroom)
            #expect(today.date.iso == "2026-11-25")
            #expect(today.estimate?.movers == 4)
        }
    }
}
