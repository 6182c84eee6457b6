import Foundation

/// The business rules in numbers: where and when the company works, its fleet and its prices.
/// Every value has a sensible default and can be configured.
package struct BookingPolicy: Sendable {
    package var timeZone: TimeZone
    /// How far ahead a move can be booked, in days.
    package var horizonDays: Int
    package var closedWeekdays: Set<Weekday>
    package var windows: [TimeWindow]
    package var crews: [Crew]
    package var trucks: [Truck]
    package var pricing: Pricing
    /// Who may be texted, and how often.
    package var texts = TextRules()
    /// Hours of work in a window (8 AM–12 PM, 1 PM–5 PM): a longer job holds the next window too.
    package var windowHours = 4
    /// How far a job may run past the end of the day's last window (into the evening); a job that would run later
    /// cannot start in that window.
    package var overtimeHours = 2
    /// A window that starts sooner than this is neither offered nor booked: the office needs time to plan the crew.
    package var leadTimeHours = 12

    package struct Pricing: Sendable {
        /// Per mover per hour, US cents.
        package var hourlyRatePerMoverCents: Int
        package var truckFeeCents: [TruckSize: Int]
        package var hoursByHomeSize: [HomeSize: Int]
        package var moversByHomeSize: [HomeSize: Int]
        package var truckByHomeSize: [HomeSize: TruckSize]

        package static let standard = Pricing(
            hourlyRatePerMoverCents: 5_500,
            truckFeeCents: [.small: 9_900, .medium: 14_900, .large: 19_900],
            hoursByHomeSize: [.studio: 3, .oneBedroom: 4, .twoBedroom: 6, .threeBedroom: 8, .fourPlusBedroom: 10],
            moversByHomeSize: [.studio: 2, .oneBedroom: 2, .twoBedroom: 3, .threeBedroom: 4, .fourPlusBedroom: 4],
            truckByHomeSize: [
                .studio: .small, .oneBedroom: .small, .twoBedroom: .medium, .threeBedroom: .large,
                .fourPlusBedroom: .large,
            ]
        )
    }

    /// New York, 120 days ahead, closed Sundays, 4 crews and 4 trucks in 3 sizes.
    package static func standard(timeZone: TimeZone = TimeZone(identifier: "America/New_York")!) -> BookingPolicy {
        BookingPolicy(
            timeZone: timeZone,
            horizonDays: 120,
            closedWeekdays: [.sunday],
            windows: TimeWindow.allCases,
            crews: [
                Crew(id: "crew-1", name: "Crew 1", size: 2),
                Crew(id: "crew-2", name: "Crew 2", size: 3),
                Crew(id: "crew-3", name: "Crew 3", size: 3),
                Crew(id: "crew-4", name: "Crew 4", size: 4),
            ],
            trucks: [
                Truck(id: "truck-1", name: "15 ft truck", size: .small),
                Truck(id: "truck-2", name: "20 ft truck", size: .medium),
                Truck(id: "truck-3", name: "20 ft truck", size: .medium),
                Truck(id: "truck-4", name: "26 ft truck", size: .large),
            ],
            pricing: .standard
        )
    }

    package init(
        timeZone: TimeZone,
        horizonDays: Int,
        closedWeekdays: Set<Weekday>,
        windows: [TimeWindow],
        crews: [Crew],
        trucks: [Truck],
        pricing: Pricing
    ) {
        self.timeZone = timeZone
        self.horizonDays = horizonDays
        self.closedWeekdays = closedWeekdays
        self.windows = windows
        self.crews = crews
        self.trucks = trucks
        self.pricing = pricing
    }

    /// What a move of this size needs and costs.
    package func estimate(for homeSize: HomeSize) -> PriceEstimate {
        let movers = pricing.moversByHomeSize[homeSize] ?? 2
        let hours = pricing.hoursByHomeSize[homeSize] ?? 4
        let truck = pricing.truckByHomeSize[homeSize] ?? .medium
        let truckFee = pricing.truckFeeCents[truck] ?? 0
        return PriceEstimate(
            movers: movers,
            hours: hours,
            truckSize: truck,
            totalCents: pricing.hourlyRatePerMoverCents * movers * hours + truckFee
        )
    }

    /// The windows a job of `hours` starting in `window` holds its crew and truck for, in order: its own, and each
    /// next one until their hours cover the job. `nil` when it cannot start in `window`: even the rest of the day
    /// and ``overtimeHours`` are too short.
    package func windowsHeld(startingIn window: TimeWindow, hours: Int) -> [TimeWindow]? {
        let day = windows.sorted()
        guard let start = day.firstIndex(of: window) else { return nil }
        var held: [TimeWindow] = []
        for next in day[start...] {
            held.append(next)
            if held.count * windowHours >= hours { return held }
        }
        return held.count * windowHours + overtimeHours >= hours ? held : nil
    }

    /// When `window` on `date` starts, in the business's time zone.
    package func start(of window: TimeWindow, on date: CalendarDate) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(year: date.year, month: date.month, day: date.day, hour: window.startHour)
        return calendar.date(from: components) ?? .distantPast
    }

    /// Whether `window` on `date` has started, or starts within ``leadTimeHours`` of `now`.
    package func isTooSoon(_ window: TimeWindow, on date: CalendarDate, now: Date) -> Bool {
        start(of: window, on: date).timeIntervalSince(now) < Double(leadTimeHours) * 3600
    }

    /// Crews able to do the move, smallest first, and trucks big enough, smallest first.
    package func candidates(for homeSize: HomeSize) -> (crews: [Crew], trucks: [Truck]) {
        let estimate = estimate(for: homeSize)
        return (
            crews.filter { $0.size >= estimate.movers }.sorted { $0.size < $1.size },
            trucks.filter { $0.size >= estimate.truckSize }.sorted { $0.size < $1.size }
        )
    }
}

/// Hourly rate × movers × hours, plus the truck fee.
package struct PriceEstimate: Sendable, Equatable, Codable {
    package var movers: Int
    package var hours: Int
    package var truckSize: TruckSize
    package var totalCents: Int

    /// "$1,089": dollars, rounded, as the assistant says it.
    package var spoken: String {
        Self.dollars(totalCents)
    }

    package static func dollars(_ cents: Int) -> String {
        let formatter = NumberFormatter()
        formatter.locale = Locale(identifier: "en_US")
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        return "$" + (formatter.string(from: NSNumber(value: (cents + 50) / 100)) ?? "\((cents + 50) / 100)")
    }
}
