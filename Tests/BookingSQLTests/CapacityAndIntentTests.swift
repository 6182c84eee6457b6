import Booking
import Foundation
import Testing
import VoiceTesting

@testable import BookingSQL

/// Issue 15 on both backends: jobs hold their crew and truck for their length, the time rules, one booking per
/// intent, compare-and-set reschedules, and each job's history.
extension BookingStoreTests {
    static let friday = CalendarDate(year: 2026, month: 12, day: 4)

    @Test(arguments: Backend.allCases)
    func aLongMoveInTheMorningHoldsItsCrewAndTruckForTheAfternoon(backend: Backend) async throws {
        try await Self.withService(backend, policy: Self.oneCrewPolicy) { service, store in
            let (big, _) = try await service.createBooking(Self.request(homeSize: .fourPlusBedroom))
            let usage = try await store.usage(on: Self.friday)
            #expect(usage[.afternoon] == SlotUsage(crewIDs: ["crew-1"], truckIDs: ["truck-1"]))
            let availability = try await service.availability(dateText: "next Friday", homeSize: .studio)
            #expect(availability.windows.map(\.unavailable) == [.taken, .taken])
            await #expect(throws: BookingError.slotTaken(Self.friday, .afternoon)) {
                _ = try await service.createBooking(Self.request(window: .afternoon, phone: "+14155550199"))
            }
            // Cancelled, it lets go of both windows.
            _ = try await service.updateStatus(jobID: big.id, to: .cancelled)
            #expect(try await store.usage(on: Self.friday).isEmpty)
            let afternoon = try await service.createBooking(Self.request(window: .afternoon, phone: "+14155550199"))
            #expect(afternoon.created)
        }
    }

    @Test(arguments: Backend.allCases)
    func fiftyCallersSplitAcrossTheMorningAndAfternoonOfAOneCrewDayNeverShareTheCrew(backend: Backend) async throws {
        try await Self.withService(backend, policy: Self.oneCrewPolicy) { service, store in
            let outcomes = await withTaskGroup(of: Result<Job, any Error>.self) { group in
                for caller in 0..<50 {
                    group.addTask {
                        // Half want a 3-bedroom move in the morning (8 hours: both windows), half a studio in the
                        // afternoon.
                        let morning = caller.isMultiple(of: 2)
                        let request = Self.request(
                            window: morning ? .morning : .afternoon,
                            homeSize: morning ? .threeBedroom : .studio,
                            phone: "+1415555" + String(format: "%04d", caller)
                        )
                        do {
                            return .success(try await service.createBooking(request).job)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let jobs = outcomes.compactMap { try? $0.get() }
            let otherErrors = outcomes.compactMap { outcome -> String? in
                if case .failure(let error) = outcome, !(error is BookingError) { "\(error)" } else { nil }
            }
            #expect(otherErrors.isEmpty, "errors that are not refusals: \(otherErrors)")
            // One crew: either the long morning move (which holds the afternoon too), or one studio in the
            // afternoon and then no morning move long enough to reach it — exactly one job either way.
            #expect(jobs.count == 1)
            let stored = try await store.jobs(phone: jobs.first?.phone ?? "")
            #expect(stored.count == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func aWindowThatHasStartedOrStartsTooSoonIsNeitherOfferedNorBooked(backend: Backend) async throws {
        try await Self.withService(backend) { _, store in
            let policy = BookingPolicy.standard()
            let timeZone = policy.timeZone
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            // Friday, December 4, 2026, 11:00: the morning has started; the afternoon starts in 2 hours.
            let elevenAM = calendar.date(from: DateComponents(year: 2026, month: 12, day: 4, hour: 11))!
            let service = BookingService(store: store, policy: policy, businessName: "NYC Quick Movers") { elevenAM }
            let today = try await service.availability(dateText: "today", homeSize: .studio)
            #expect(today.windows.map(\.unavailable) == [.tooSoon, .tooSoon])
            let refusal = await #expect(throws: BookingError.self) {
                _ = try await service.createBooking(Self.request(date: "today", window: .morning))
            }
            // The next window at least 12 hours away, and free: Saturday morning.
            let saturday = DateWindow(date: CalendarDate(year: 2026, month: 12, day: 5), window: .morning)
            #expect(refusal == .tooSoon(Self.friday, .morning, leadTimeHours: 12, next: saturday))
            #expect(refusal?.speakableMessage.contains("at least 12 hours") == true)
            #expect(refusal?.speakableMessage.contains("morning, 8 AM to 12 PM on Saturday, December 5") == true)
            // Within the lead time of a window that has not started: 22:00 the evening before.
            let tenPM = calendar.date(from: DateComponents(year: 2026, month: 12, day: 3, hour: 22))!
            let evening = BookingService(store: store, policy: policy, businessName: "NYC Quick Movers") { tenPM }
            let tomorrow = try await evening.availability(dateText: "tomorrow", homeSize: .studio)
            #expect(tomorrow.windows.map(\.unavailable) == [.tooSoon, nil])
            #expect(try await evening.createBooking(Self.request(date: "tomorrow", window: .afternoon)).created)
        }
    }

    @Test(arguments: Backend.allCases)
    func aMoveTooLongForTheAfternoonIsOfferedOnlyInTheMorning(backend: Backend) async throws {
        try await Self.withService(backend) { service, _ in
            let availability = try await service.availability(dateText: "next Friday", homeSize: .threeBedroom)
            #expect(availability.windows.map(\.unavailable) == [nil, .tooLong])
            #expect(availability.windows.first?.holds == [.morning, .afternoon])
            let refusal = await #expect(throws: BookingError.self) {
                _ = try await service.createBooking(Self.request(window: .afternoon, homeSize: .threeBedroom))
            }
            #expect(refusal == .tooLongToStart(.afternoon, hours: 8))
            // A 6-hour move fits the afternoon with the evening's overtime.
            #expect(try await service.createBooking(Self.request(window: .afternoon, homeSize: .twoBedroom)).created)
        }
    }

    @Test(arguments: Backend.allCases)
    func aRetryInTheSameCallWithANewFunctionCallIDGetsTheSameJob(backend: Backend) async throws {
        try await Self.withService(backend) { service, store in
            let first = try await service.createBooking(Self.request(key: "CA1:call_1"))
            let retry = try await service.createBooking(Self.request(key: "CA1:call_2"))
            #expect(first.created)
            #expect(!retry.created)
            #expect(retry.job.id == first.job.id)
            #expect(try await store.jobs(phone: "+14155552671").count == 1)
            // Another window is another intent.
            #expect(try await service.createBooking(Self.request(window: .afternoon, key: "CA1:call_3")).created)
        }
    }

    /// The first attempt's insert commits after the tool would have given up: the retry, arriving meanwhile with a
    /// new key, gets the same job, and one job exists.
    @Test(arguments: Backend.allCases)
    func aBookingThatCommitsLateIsFoundByItsRetryNotRepeated(backend: Backend) async throws {
        try await backend.withStorage { storage in
            let policy = BookingPolicy.standard()
            let store = SQLBookingStore(storage: storage, logger: TestDatabase.quietLogger)
            try await store.prepare(crews: policy.crews, trucks: policy.trucks)
            let slow = SlowBookingStore(base: store, insertDelay: .milliseconds(800))
            let service = BookingService(store: slow, policy: policy, businessName: "NYC Quick Movers") {
                Self.now
            }
            async let first = service.createBooking(Self.request(key: "CA1:call_1"))
            try await Task.sleep(for: .milliseconds(200))
            let retry = try await service.createBooking(Self.request(key: "CA1:call_2"))
            let original = try await first
            #expect(retry.job.id == original.job.id)
            #expect([retry.created, original.created].filter { $0 }.count == 1)
            #expect(try await store.jobs(phone: "+14155552671").count == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func aRescheduleDoesNotUndoACancelMadeAtTheSameMoment(backend: Backend) async throws {
        try await Self.withService(backend) { service, store in
            let (job, _) = try await service.createBooking(Self.request())
            // The reschedule read the job as confirmed; the cancel lands first.
            _ = try await service.updateStatus(jobID: job.id, to: .cancelled)
            let moved = try await store.move(
                jobID: job.id,
                expected: .confirmed,
                to: Slot(date: Self.friday, window: .afternoon, crewID: job.crewID, truckID: job.truckID),
                holding: [.afternoon],
                status: .rescheduled,
                at: Self.now,
                by: "staff"
            )
            #expect(moved == nil)
            #expect(try await service.job(id: job.id).status == .cancelled)
            #expect(try await store.usage(on: Self.friday).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func everyChangeOfAJobIsInItsHistory(backend: Backend) async throws {
        try await Self.withService(backend) { service, store in
            let (job, _) = try await service.createBooking(Self.request(homeSize: .twoBedroom))
            _ = try await service.reschedule(jobID: job.id, dateText: "December 7", window: .morning)
            _ = try await service.updateStatus(jobID: job.id, to: .cancelled)
            let history = try await store.history(jobID: job.id)
            #expect(history.map(\.to) == [.confirmed, .rescheduled, .cancelled])
            #expect(history.map(\.from) == [nil, .confirmed, .rescheduled])
            #expect(history.map(\.by) == ["CA1", "staff", "staff"])
            #expect(history.first?.reason == "booked for the morning and afternoon of Friday, December 4, 2026")
            #expect(history[1].reason == "moved to the morning and afternoon of Monday, December 7, 2026")
        }
    }
}
