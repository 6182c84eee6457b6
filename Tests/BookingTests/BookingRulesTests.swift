import Foundation
import Testing

@testable import Booking

@Suite struct BookingRulesTests {
    let policy = BookingPolicy.standard()

    @Test func priceIsRateTimesMoversTimesHoursPlusTheTruck() {
        let estimate = policy.estimate(for: .twoBedroom)
        #expect(estimate.movers == 3)
        #expect(estimate.hours == 6)
        #expect(estimate.truckSize == .medium)
        #expect(estimate.totalCents == 5_500 * 3 * 6 + 14_900)
        #expect(estimate.spoken == "$1,139")
        #expect(policy.estimate(for: .studio).totalCents == 5_500 * 2 * 3 + 9_900)
    }

    @Test func theFleetFitsTheMove() {
        let big = policy.candidates(for: .fourPlusBedroom)
        #expect(big.crews.map(\.id) == ["crew-4"])
        #expect(big.trucks.map(\.id) == ["truck-4"])
        let small = policy.candidates(for: .studio)
        #expect(small.crews.first?.id == "crew-1")
        #expect(small.trucks.first?.id == "truck-1")
        #expect(small.crews.count == 4)
    }

    @Test func finalStatusesAreFinal() {
        #expect(JobStatus.completed.allowedNext.isEmpty)
        #expect(JobStatus.cancelled.allowedNext.isEmpty)
        #expect(JobStatus.confirmed.allowedNext.contains(.cancelled))
        #expect(!JobStatus.pending.allowedNext.contains(.completed))
        #expect(JobStatus.inProgress.allowedNext == [.completed])
        #expect(!JobStatus.cancelled.holdsSlot)
        #expect(JobStatus.completed.holdsSlot)
    }

    @Test func jobIDsAreReadableAndNormalized() {
        var generator = SystemRandomNumberGenerator()
        let id = JobID.make(using: &generator)
        #expect(id.hasPrefix("QM-"))
        #expect(id.count == 9)
        #expect(id.dropFirst(3).allSatisfy { JobID.alphabet.contains($0) })
        #expect(!JobID.alphabet.contains("0") && !JobID.alphabet.contains("O") && !JobID.alphabet.contains("I"))
        #expect(JobID.normalized("qm 7k3p9d") == "QM-7K3P9D")
        #expect(JobID.normalized("7K3-P9D") == "QM-7K3P9D")
    }

    @Test func phoneNumbersBecomeE164() throws {
        #expect(try BookingService.normalizedPhone("(415) 555-2671") == "+14155552671")
        #expect(try BookingService.normalizedPhone("+44 20 7946 0958") == "+442079460958")
        #expect(try BookingService.normalizedPhone("1 415 555 2671") == "+14155552671")
        #expect(throws: BookingError.self) { try BookingService.normalizedPhone("555") }
    }

    @Test func homeSizesAreReadLoosely() {
        #expect(HomeSize(loose: "2_bedroom") == .twoBedroom)
        #expect(HomeSize(loose: "two bedrooms") == .twoBedroom)
        #expect(HomeSize(loose: "3BR") == .threeBedroom)
        #expect(HomeSize(loose: "Studio apartment") == .studio)
        #expect(HomeSize(loose: "5 bedroom house") == .fourPlusBedroom)
        #expect(HomeSize(loose: "castle") == nil)
    }

    @Test func refusalsAreSentencesTheAssistantCanSay() {
        let date = CalendarDate(year: 2026, month: 11, day: 29)
        #expect(BookingError.closedDay(date).speakableMessage.contains("Sundays"))
        #expect(BookingError.slotTaken(date, .morning).speakableMessage.contains("no longer available"))
        #expect(BookingError.dateInPast(date).speakableMessage.contains("Sunday, November 29, 2026"))
    }
}
