import Booking
import Foundation

/// `/dashboard/texts`: the outbox by status; a failed confirmation can be sent again, to the same or a corrected
/// number.
struct TextsPage: Sendable {
    struct Tab: Sendable {
        var value: String
        var label: String
        var current: Bool
    }

    struct Row: Sendable {
        var id: String
        var time: String
        var jobID: String
        var recipient: String
        var status: String
        var error: String?
        var body: String
        var canRetry: Bool

        init(_ message: OutboxMessage, format: DashboardFormat) {
            id = message.id
            time = format.dateTime(message.createdAt)
            jobID = message.jobID
            recipient = DashboardFormat.masked(message.recipient)
            status = message.status
            error = message.lastError.map(DashboardFormat.maskingNumbers)
            body = message.body
            canRetry =
                message.kind == BookingService.confirmationKind && TextsPage.failedStatuses.contains(message.status)
        }
    }

    /// The tabs: what each shows.
    static let tabs: [(value: String, label: String, statuses: [String]?)] = [
        ("failed", "Failed", failedStatuses),
        (
            "waiting", "Waiting",
            [OutboxMessage.Status.pending, OutboxMessage.Status.claimed, "accepted", "queued", "sending"]
        ),
        ("sent", "Sent", ["sent", "delivered", "read"]),
        ("all", "All", nil),
    ]

    static let failedStatuses = [OutboxMessage.Status.failed, "undelivered", OutboxMessage.Status.disabled]

    var chrome: PageChrome
    var tabs: [Tab]
    var texts: [Row]
    var page: Int
    var previous: String?
    var next: String?
}
