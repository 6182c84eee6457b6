import Booking
import CallRecords
import Foundation
import Testing
import VoiceSimulation
import VoiceTesting

/// `simulate` exits 0 only when the call booked a move, texted it, and neither fake saw a protocol violation: the
/// report's verdict is what CI relies on.
struct SimulationReportTests {
    static let job = Job(
        id: "QM-7K3P9D",
        customerName: "Dana Whitfield",
        phone: "+14155552671",
        email: nil,
        pickupAddress: "12 Grand St",
        dropoffAddress: "400 W 57th St",
        date: CalendarDate(Date(timeIntervalSince1970: 1_795_618_800), in: TimeZone(identifier: "America/New_York")!),
        window: .morning,
        homeSize: .twoBedroom,
        specialItems: nil,
        estimatedHours: 6,
        crewID: "crew-1",
        truckID: "truck-1",
        crewSize: 3,
        priceEstimateCents: 113_900,
        status: .confirmed,
        notes: nil,
        callSid: "CA1",
        createdAt: Date(),
        updatedAt: Date()
    )

    static func report(
        outcome: CallOutcome? = .booked,
        texts: [SimulationReport.Text] = [.init(to: "+14155552671", body: "Your move QM-7K3P9D is booked")],
        violations: [String] = []
    ) -> SimulationReport {
        var record = CallRecord(callSid: "CA1", caller: "+14155552671", startedAt: Date())
        record.outcome = outcome
        record.jobID = outcome == .booked ? job.id : nil
        return SimulationReport(
            caller: CallerReport(),
            record: record,
            job: job,
            texts: texts,
            realtimeViolations: violations
        )
    }

    @Test func aBookedAndTextedCallSucceeds() {
        let report = Self.report()
        #expect(report.succeeded)
        #expect(report.rendered().contains("✓ The move was booked and the confirmation sent."))
        #expect(!report.rendered().contains("+14155552671"))
    }

    @Test func anythingMissingFailsAndSaysWhat() {
        #expect(Self.report(texts: []).problems == ["no confirmation text was sent for QM-7K3P9D"])
        #expect(Self.report(outcome: .endedByCaller).problems == ["the call ended ended_by_caller"])
        #expect(
            Self.report(violations: ["a bad event"]).problems == ["the server sent the Realtime service a bad event"]
        )
        #expect(!Self.report(texts: []).rendered().contains("✓"))
    }
}
