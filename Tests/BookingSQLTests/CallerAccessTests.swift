import Booking
import Foundation
import Synchronization
import Testing
import VoiceTesting

@testable import BookingSQL

/// Who may see and change which booking, the one-time codes, and the limits on texts (issue 13), on both backends.
@Suite(.timeLimit(.minutes(2)))
struct CallerAccessTests {
    typealias Backend = TestDatabase

    /// Records the texts sent at once (codes) and lets the test move the clock.
    final class Texts: MessageDelivery {
        let sent = Mutex<[(to: String, body: String)]>([])
        func deliver(messageID: String) async -> DeliveryOutcome { .accepted }
        func sendNow(to recipient: String, body: String) async -> DeliveryOutcome {
            sent.withLock { $0.append((recipient, body)) }
            return .accepted
        }
        /// The six digits of the last code texted to `number`.
        func lastCode(to number: String) -> String? {
            sent.withLock { $0.last { $0.to == number } }.flatMap { text in
                text.body.split(separator: " ").lazy.map { $0.filter(\.isNumber) }.first { $0.count == 6 }
            }
        }
    }

    final class Clock: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_795_618_800))
        func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    }

    struct Fixture {
        var service: BookingService
        var store: SQLBookingStore
        var texts: Texts
        var clock: Clock
    }

    static func withFixture(
        _ backend: Backend,
        policy: BookingPolicy = .standard(),
        _ body: (Fixture) async throws -> Void
    ) async throws {
        try await backend.withStorage { storage in
            let store = SQLBookingStore(storage: storage, logger: TestDatabase.quietLogger)
            try await store.prepare(crews: policy.crews, trucks: policy.trucks)
            let texts = Texts()
            let clock = Clock()
            let service = BookingService(
                store: store,
                policy: policy,
                businessName: "NYC Quick Movers",
                delivery: texts,
                now: { clock.now.withLock { $0 } }
            )
            try await body(Fixture(service: service, store: store, texts: texts, clock: clock))
        }
    }

    static let owner = "+12125550143"
    static let stranger = Caller(callSid: "CA-stranger", number: "+14155552671", numberIsVerified: true)

    /// A move booked by the office for ``owner``.
    static func ownersMove(_ service: BookingService, phone: String = owner) async throws -> Job {
        try await service.createBooking(
            BookingService.BookingRequest(
                customerName: "Margaret Okafor",
                phone: phone,
                pickupAddress: "88 Sycamore Lane, Apt 5",
                dropoffAddress: "9 Harbor View Rd",
                date: "next Friday",
                window: .morning,
                homeSize: .twoBedroom
            )
        ).job
    }

    /// Every refusal a stranger hears: none may carry the owner's name, addresses or number.
    static func expectNothingRevealed(_ error: BookingError, about job: Job) {
        let said = error.speakableMessage
        for detail in [job.customerName, "Margaret", "Okafor", "Sycamore", "Harbor", job.phone, "0143"] {
            #expect(!said.contains(detail), "\(said) reveals \(detail)")
        }
    }

    @Test(arguments: Backend.allCases)
    func aStrangerCannotSeeChangeOrTextAnotherCustomersBooking(backend: Backend) async throws {
        try await Self.withFixture(backend) { fixture in
            let service = fixture.service
            let job = try await Self.ownersMove(service)
            let stranger = Requester.caller(Self.stranger)
            for attempt in 0..<4 {
                do {
                    switch attempt {
                    case 0: _ = try await service.job(id: job.id, for: stranger)
                    case 1: _ = try await service.updateStatus(jobID: job.id, to: .cancelled, by: stranger)
                    case 2:
                        _ = try await service.reschedule(
                            jobID: job.id,
                            dateText: "next Saturday",
                            window: .afternoon,
                            by: stranger
                        )
                    default:
                        _ = try await service.confirmation(
                            jobID: job.id,
                            resend: true,
                            phone: "+14155552671",
                            for: stranger
                        )
                    }
                    Issue.record("attempt \(attempt) should have been refused")
                } catch let error as BookingError {
                    #expect(error == .notYourBooking(jobID: job.id))
                    Self.expectNothingRevealed(error, about: job)
                }
            }
            await #expect(throws: BookingError.onlyYourNumber) {
                _ = try await service.jobs(phone: Self.owner, for: stranger)
            }
            #expect(try await service.jobs(phone: nil, for: stranger).isEmpty)
            let hidden = Requester.caller(Caller(callSid: "CA-hidden", number: nil, numberIsVerified: false))
            await #expect(throws: BookingError.numberHidden) { _ = try await service.jobs(phone: nil, for: hidden) }
            // Nothing changed, nothing was written to the outbox.
            #expect(try await service.job(id: job.id).status == job.status)
            #expect(
                try await fixture.store.latestOutboxMessage(jobID: job.id, kind: BookingService.confirmationKind) == nil
            )
            // The office may do anything.
            #expect(try await service.jobs(phone: Self.owner, for: .staff).map(\.id) == [job.id])
            let cancelled = try await service.updateStatus(jobID: job.id, to: .cancelled, by: .staff)
            #expect(cancelled.updatedBy == "staff")
        }
    }

    @Test(arguments: Backend.allCases)
    func aNumberTheCarrierDidNotVouchForNeedsACodeToChangeItsBooking(backend: Backend) async throws {
        try await Self.withFixture(backend) { fixture in
            let service = fixture.service
            let job = try await Self.ownersMove(service)
            let unvouched = Requester.caller(Caller(callSid: "CA-owner", number: Self.owner, numberIsVerified: false))
            #expect(try await service.access(to: job, for: unvouched) == .ownNumber)
            #expect(try await service.job(id: job.id, for: unvouched).id == job.id)
            #expect(try await service.jobs(phone: nil, for: unvouched).map(\.id) == [job.id])
            await #expect(throws: BookingError.verificationNeeded(jobID: job.id, lastDigits: "0143")) {
                _ = try await service.updateStatus(jobID: job.id, to: .cancelled, by: unvouched)
            }
            // Its confirmation may go to its own phone, not elsewhere.
            #expect(
                try await service.confirmation(jobID: job.id, resend: false, for: unvouched).message.recipient
                    == Self.owner
            )
            await #expect(throws: BookingError.otherNumberNeedsVerification(lastDigits: "0143")) {
                _ = try await service.confirmation(jobID: job.id, resend: false, phone: "+14155550100", for: unvouched)
            }
            // A caller may not do what only the office does.
            let vouched = Requester.caller(Caller(callSid: "CA-owner", number: Self.owner, numberIsVerified: true))
            await #expect(throws: BookingError.notForCallers(action: JobStatus.completed.spoken)) {
                _ = try await service.updateStatus(jobID: job.id, to: .completed, by: vouched)
            }
            let cancelled = try await service.updateStatus(jobID: job.id, to: .cancelled, by: vouched)
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.updatedBy == "CA-owner")
        }
    }

    @Test(arguments: Backend.allCases)
    func aCodeTextedToTheBookingsPhoneOpensItForThatCallOnly(backend: Backend) async throws {
        try await Self.withFixture(backend) { fixture in
            let service = fixture.service
            let job = try await Self.ownersMove(service)
            let stranger = Requester.caller(Self.stranger)
            await #expect(throws: BookingError.noCodeSent(jobID: job.id)) {
                _ = try await service.checkVerificationCode(jobID: job.id, code: "123456", for: stranger)
            }
            let sent = try await service.sendVerificationCode(jobID: job.id, for: stranger)
            #expect(sent.lastDigits == "0143")
            let code = try #require(fixture.texts.lastCode(to: Self.owner))
            // Only a salted hash is kept.
            let record = try #require(try await fixture.store.latestVerification(jobID: job.id, callSid: "CA-stranger"))
            #expect(!record.codeHash.contains(code))
            #expect(record.codeHash.count == 64)
            let wrong = code == "000000" ? "111111" : "000000"
            await #expect(throws: BookingError.codeWrong(triesLeft: 2)) {
                _ = try await service.checkVerificationCode(jobID: job.id, code: wrong, for: stranger)
            }
            let spoken = code.map(String.init).joined(separator: " ")
            #expect(try await service.checkVerificationCode(jobID: job.id, code: spoken, for: stranger).id == job.id)
            #expect(try await service.access(to: job, for: stranger) == .full)
            let cancelled = try await service.updateStatus(jobID: job.id, to: .cancelled, by: stranger)
            #expect(cancelled.updatedBy == "CA-stranger")
            // Another call from the same number is not verified.
            var nextCall = Self.stranger
            nextCall.callSid = "CA-stranger-again"
            #expect(try await service.access(to: job, for: .caller(nextCall)) == .none)
        }
    }

    @Test(arguments: Backend.allCases)
    func aCodeLastsTenMinutesAndThreeTries(backend: Backend) async throws {
        try await Self.withFixture(backend) { fixture in
            let service = fixture.service
            let job = try await Self.ownersMove(service)
            let stranger = Requester.caller(Self.stranger)
            _ = try await service.sendVerificationCode(jobID: job.id, for: stranger)
            let code = try #require(fixture.texts.lastCode(to: Self.owner))
            let wrong = code == "000000" ? "111111" : "000000"
            for triesLeft in [2, 1, 0] {
                await #expect(throws: BookingError.codeWrong(triesLeft: triesLeft)) {
                    _ = try await service.checkVerificationCode(jobID: job.id, code: wrong, for: stranger)
                }
            }
            await #expect(throws: BookingError.codeExpired) {
                _ = try await service.checkVerificationCode(jobID: job.id, code: code, for: stranger)
            }
            _ = try await service.sendVerificationCode(jobID: job.id, for: stranger)
            let second = try #require(fixture.texts.lastCode(to: Self.owner))
            fixture.clock.advance(CallerVerification.lifetime + 1)
            await #expect(throws: BookingError.codeExpired) {
                _ = try await service.checkVerificationCode(jobID: job.id, code: second, for: stranger)
            }
            #expect(try await service.access(to: job, for: stranger) == .none)
        }
    }

    @Test(arguments: Backend.allCases)
    func textsAreLimitedPerBookingPerCallerAndByCountry(backend: Backend) async throws {
        var policy = BookingPolicy.standard()
        policy.texts.perCallerPerHour = 4
        try await Self.withFixture(backend, policy: policy) { fixture in
            let service = fixture.service
            let caller = Caller(callSid: "CA-owner", number: Self.owner, numberIsVerified: true)
            let job = try await Self.ownersMove(service)
            // Three texts about one booking a day, codes included.
            _ = try await service.confirmation(jobID: job.id, resend: false, for: .caller(caller))
            _ = try await service.confirmation(jobID: job.id, resend: true, for: .caller(caller))
            _ = try await service.sendVerificationCode(jobID: job.id, for: .caller(caller))
            await #expect(throws: BookingError.textLimitReached) {
                _ = try await service.confirmation(jobID: job.id, resend: true, for: .caller(caller))
            }
            await #expect(throws: BookingError.textLimitReached) {
                _ = try await service.sendVerificationCode(jobID: job.id, for: .caller(caller))
            }
            // The office is not limited.
            #expect(try await service.confirmation(jobID: job.id, resend: true, for: .staff).created)
            // The caller's hourly allowance spans bookings: the fourth text this hour is the last.
            let other = try await Self.ownersMove(service)
            _ = try await service.confirmation(jobID: other.id, resend: false, for: .caller(caller))
            await #expect(throws: BookingError.textLimitReached) {
                _ = try await service.confirmation(jobID: other.id, resend: true, for: .caller(caller))
            }
            fixture.clock.advance(3601)
            #expect(try await service.confirmation(jobID: other.id, resend: true, for: .caller(caller)).created)

            // Numbers outside SMS_ALLOWED_COUNTRIES get nothing, whoever asks.
            for foreign in ["+447700900123", "+18765550123"] {
                await #expect(throws: BookingError.textCountryNotAllowed(lastDigits: "0123")) {
                    _ = try await service.confirmation(jobID: other.id, resend: true, phone: foreign, for: .staff)
                }
            }
            let abroad = try await Self.ownersMove(service, phone: "+447700900123")
            await #expect(throws: BookingError.textCountryNotAllowed(lastDigits: "0123")) {
                _ = try await service.sendVerificationCode(jobID: abroad.id, for: .caller(Self.stranger))
            }
            #expect(fixture.texts.sent.withLock { $0.allSatisfy { $0.to == Self.owner } })
        }
    }
}
