import Booking
import CallRecords
import CallRecordsSQL
import Foundation

/// `/dashboard/moves/<id>`: one move, its history, the calls that touched it, its texts, and the staff's actions.
struct MovePage: Sendable {
    struct Change: Sendable {
        var time: String
        var by: String
        var change: String
        var reason: String
    }

    struct Call: Sendable {
        var callSid: String
        var time: String
        var outcome: String
    }

    struct Text: Sendable {
        var time: String
        var recipient: String
        var status: String
        var error: String?
        var body: String
    }

    var chrome: PageChrome
    var id: String
    var status: String
    var customer: String
    var phone: String
    var email: String?
    var date: String
    var dateISO: String
    var window: String
    var pickup: String
    var dropoff: String
    var homeSize: String
    var specialItems: String?
    var crew: String
    var crewSize: Int
    var truck: String
    var hours: Int
    var price: String
    var notes: String?
    var canChange: Bool
    var history: [Change]
    var calls: [Call]
    var texts: [Text]

    init(
        chrome: PageChrome,
        job: Job,
        history: [JobEvent],
        calls: [CallSummary],
        texts: [OutboxMessage],
        format: DashboardFormat
    ) {
        self.chrome = chrome
        id = job.id
        status = job.status.rawValue
        customer = job.customerName
        phone = DashboardFormat.full(job.phone)
        email = job.email
        date = job.date.spoken
        dateISO = job.date.iso
        window = job.window.spoken
        pickup = job.pickupAddress
        dropoff = job.dropoffAddress
        homeSize = job.homeSize.rawValue.replacingOccurrences(of: "_", with: " ")
        specialItems = job.specialItems
        crew = job.crewID
        crewSize = job.crewSize
        truck = job.truckID
        hours = job.estimatedHours
        price = String(format: "$%.2f", Double(job.priceEstimateCents) / 100)
        notes = job.notes
        canChange = !job.status.isFinal
        self.history = history.map {
            Change(
                time: format.dateTime($0.at),
                by: $0.by == "staff" ? "staff" : "call",
                change: ($0.from.map { "\($0.rawValue) → " } ?? "") + $0.to.rawValue,
                reason: $0.reason
            )
        }
        self.calls = calls.map {
            Call(
                callSid: $0.callSid,
                time: format.dateTime($0.startedAt),
                outcome: DashboardFormat.label($0.outcome?.rawValue)
            )
        }
        self.texts = texts.map {
            Text(
                time: format.dateTime($0.createdAt),
                recipient: DashboardFormat.full($0.recipient),
                status: $0.status,
                error: $0.lastError,
                body: $0.body
            )
        }
    }
}
