import Booking
import BookingSQL
import CallRecordsSQL
import Foundation

/// `/dashboard`: figures, calls in progress, what needs a person, and today's and tomorrow's day grids.
struct TodayPage: Sendable {
    struct FigureRow: Sendable {
        var label: String
        var calls: Int
        var booked: Int
        var conversion: String
        var averageLength: String
        var averageCost: String
        var p50: String
        var p90: String

        init(label: String, _ figures: CallFigures) {
            self.label = label
            calls = figures.calls
            booked = figures.booked
            conversion = DashboardFormat.percent(figures.conversion)
            averageLength = DashboardFormat.duration(seconds: figures.averageDurationSeconds)
            averageCost = DashboardFormat.dollars(microDollars: figures.averageCostMicroDollars)
            p50 = DashboardFormat.milliseconds(figures.responseP50Milliseconds)
            p90 = DashboardFormat.milliseconds(figures.responseP90Milliseconds)
        }
    }

    struct Live: Sendable {
        var caller: String
        var duration: String
        var activity: String
    }

    struct Attention: Sendable {
        var tag: String
        var tagClass: String
        var title: String
        var detail: String
        var link: String
    }

    struct GridJob: Sendable {
        var id: String
        var customer: String
        var homeSize: String
        var route: String
    }

    struct GridCell: Sendable {
        var window: String
        var job: GridJob?
    }

    struct GridRow: Sendable {
        var resource: String
        var cells: [GridCell]
    }

    struct Day: Sendable {
        var iso: String
        var label: String
        var windows: [String]
        var rows: [GridRow]
    }

    var chrome: PageChrome
    var todayLabel: String
    var figures: [FigureRow]
    var live: [Live]
    var liveCount: Int
    var attention: [Attention]
    var attentionCount: Int
    var days: [Day]

    /// The day grid for `date`: a row per crew and per truck, a cell per window, the job holding it or free.
    static func day(
        _ date: CalendarDate,
        label: String,
        crews: [Crew],
        trucks: [Truck],
        holds: [ResourceHold]
    ) -> Day {
        let windows = TimeWindow.allCases
        func row(kind: String, id: String, name: String) -> GridRow {
            GridRow(
                resource: name,
                cells: windows.map { window in
                    let hold = holds.first {
                        $0.kind == kind && $0.resourceID == id && $0.date == date && $0.window == window
                    }
                    return GridCell(
                        window: window.rawValue,
                        job: hold.map {
                            GridJob(
                                id: $0.job.id,
                                customer: $0.job.customerName,
                                homeSize: $0.job.homeSize.rawValue.replacingOccurrences(of: "_", with: " "),
                                route: "\(shortened($0.job.pickupAddress)) → \(shortened($0.job.dropoffAddress))"
                            )
                        }
                    )
                }
            )
        }
        let rows =
            crews.map { row(kind: "crew", id: $0.id, name: "\($0.name) (\($0.size))") }
            + trucks.map { row(kind: "truck", id: $0.id, name: $0.name) }
        return Day(
            iso: date.iso,
            label: label,
            windows: windows.map(\.rawValue),
            rows: rows
        )
    }

    /// `/dashboard/days/<date>`: one day's grid, with the days either side.
    struct DayPage: Sendable {
        var chrome: PageChrome
        var day: Day
        var previous: String
        var next: String
    }

    /// The street part of an address.
    static func shortened(_ address: String) -> String {
        String(address.split(separator: ",").first ?? Substring(address))
    }
}
