import Foundation
import Testing

@testable import Booking

/// The confirmation text: GSM-7 only, two segments at most, and the facts always whole.
struct ConfirmationTextTests {
    struct NoStore: BookingStore {
        func prepare(crews: [Crew], trucks: [Truck]) async throws {}
        func usage(on date: CalendarDate, excluding jobID: String?) async throws -> [TimeWindow: SlotUsage] { [:] }
        func insert(
            _ job: Job,
            holding windows: [TimeWindow],
            idempotencyKey: String?
        ) async throws -> (job: Job, created: Bool) { (job, true) }
        func jobs(callSid: String) async throws -> [Job] { [] }
        func job(id: String) async throws -> Job? { nil }
        func job(idempotencyKey: String) async throws -> Job? { nil }
        func jobs(phone: String) async throws -> [Job] { [] }
        func updateStatus(
            jobID: String,
            expected: JobStatus,
            to status: JobStatus,
            at: Date,
            by: String
        ) async throws -> Job? { nil }
        func move(
            jobID: String,
            expected: JobStatus,
            to slot: Slot,
            holding windows: [TimeWindow],
            status: JobStatus,
            at: Date,
            by: String
        ) async throws -> Job? { nil }
        func history(jobID: String) async throws -> [JobEvent] { [] }
        func keepDeliveryReport(_ report: DeliveryReport) async throws {}
        func takeDeliveryReport(twilioSid: String) async throws -> DeliveryReport? { nil }
        func insertVerification(_ verification: CallerVerification) async throws {}
        func latestVerification(jobID: String, callSid: String) async throws -> CallerVerification? { nil }
        func updateVerification(_ verification: CallerVerification) async throws {}
        func isVerified(jobID: String, callSid: String) async throws -> Bool { false }
        func textCount(jobID: String, since: Date) async throws -> Int { 0 }
        func textCount(requestedBy: String, since: Date) async throws -> Int { 0 }
        func latestOutboxMessage(jobID: String, kind: String) async throws -> OutboxMessage? { nil }
        func insertOutboxMessage(_ message: OutboxMessage) async throws -> OutboxMessage { message }
        func outboxMessage(id: String) async throws -> OutboxMessage? { nil }
        func outboxMessage(twilioSid: String) async throws -> OutboxMessage? { nil }
        func outboxMessages(status: String, dueBy: Date?, limit: Int) async throws -> [OutboxMessage] { [] }
        func updateOutboxMessage(_ message: OutboxMessage, expectedStatus: String) async throws -> OutboxMessage? {
            nil
        }
    }

    static let service = BookingService(store: NoStore(), policy: .standard(), businessName: "NYC Quick Movers")

    static func job(pickup: String, dropoff: String) -> Job {
        Job(
            id: "QM-7K3P9D",
            customerName: "Dana",
            phone: "+14155552671",
            email: nil,
            pickupAddress: pickup,
            dropoffAddress: dropoff,
            date: CalendarDate(year: 2026, month: 12, day: 4),
            window: .afternoon,
            homeSize: .twoBedroom,
            specialItems: nil,
            estimatedHours: 6,
            crewID: "crew-1",
            truckID: "truck-1",
            crewSize: 3,
            priceEstimateCents: 113_900,
            status: .pending,
            notes: nil,
            callSid: nil,
            createdAt: Date(),
            updatedAt: Date()
        )
    }

    static let gsm7Basic = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
            .unicodeScalars
    )

    @Test func anOrdinaryConfirmationHasEveryFact() {
        let text = Self.service.confirmationText(
            for: Self.job(pickup: "12 Grand St, Apt 3, Brooklyn", dropoff: "400 W 57th St, Manhattan")
        )
        for fact in [
            "NYC Quick Movers", "QM-7K3P9D", "Friday", "December 4", "afternoon", "12 Grand St, Apt 3, Brooklyn",
            "400 W 57th St, Manhattan", "$1,139", "call us",
        ] {
            #expect(text.contains(fact), "missing \(fact): \(text)")
        }
        #expect(text.count <= BookingService.maximumConfirmationLength)
    }

    @Test func longAddressesAreShortenedToTwoSegmentsAndTheFactsStayWhole() {
        let long = String(repeating: "Very Long Boulevard Name ", count: 12)
        let text = Self.service.confirmationText(for: Self.job(pickup: "1 " + long, dropoff: "2 " + long))
        #expect(text.count <= BookingService.maximumConfirmationLength)
        for fact in ["QM-7K3P9D", "Friday", "afternoon", "$1,139", "From 1 Very Long", "to 2 Very Long", "..."] {
            #expect(text.contains(fact), "missing \(fact): \(text)")
        }
        #expect(text.hasSuffix("quote QM-7K3P9D."))
    }

    @Test func charactersOutsideGSM7AreReplaced() {
        let text = Self.service.confirmationText(
            for: Self.job(pickup: "{Apt 3} 12 Grand St | “Rear” — Brooklyn ☕", dropoff: "東京 1-2-3, Café Road")
        )
        let outside = text.unicodeScalars.filter { !Self.gsm7Basic.contains($0) }
        #expect(outside.isEmpty, "not GSM-7: \(String(String.UnicodeScalarView(outside)))")
        #expect(text.contains("(Apt 3) 12 Grand St - \"Rear\" - Brooklyn ?"))
        #expect(text.contains("?? 1-2-3, Café Road"))
    }
}

/// The country of a number, for `SMS_ALLOWED_COUNTRIES`.
struct PhoneCountryTests {
    @Test(arguments: [
        ("+14155552671", "US"), ("+14165550123", "CA"), ("+18765550123", "JM"), ("+18095550123", "DO"),
        ("+447700900123", "GB"), ("+5215512345678", "MX"), ("+35312345678", "IE"),
    ])
    func numbersBelongToTheirCountry(number: String, country: String) {
        #expect(PhoneCountry.of(number) == country)
    }

    @Test func unknownOrMalformedNumbersBelongToNoCountry() {
        #expect(PhoneCountry.of("+999123456") == nil)
        #expect(PhoneCountry.of("14155552671") == nil)
        #expect(PhoneCountry.of("+1415555") == nil)
        #expect(!TextRules().allows("+447700900123"))
        #expect(TextRules().allows("+14165550123"))
    }
}
