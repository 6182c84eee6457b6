import Booking
import Foundation

/// `/dashboard/moves`: search by job number, phone or name, and date.
struct MovesPage: Sendable {
    struct Row: Sendable {
        var id: String
        var date: String
        var window: String
        var customer: String
        var phone: String
        var homeSize: String
        var status: String

        init(_ job: Job) {
            id = job.id
            date = job.date.iso
            window = job.window.rawValue
            customer = job.customerName
            phone = DashboardFormat.masked(job.phone)
            homeSize = job.homeSize.rawValue.replacingOccurrences(of: "_", with: " ")
            status = job.status.rawValue
        }
    }

    var chrome: PageChrome
    var query: String
    var date: String
    var jobs: [Row]
    var page: Int
    var previous: String?
    var next: String?
}
