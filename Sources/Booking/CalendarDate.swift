import Foundation

/// A day on the business's calendar, with no time and no zone: what a move is booked for.
package struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package var year: Int
    package var month: Int
    package var day: Int

    package init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; `nil` if it is not a real date.
    package init?(iso text: some StringProtocol) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]),
            let day = Int(parts[2]), Self.isValid(year: year, month: month, day: day)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The day `instant` falls on in `timeZone`.
    package init(_ instant: Date, in timeZone: TimeZone) {
        let components = Self.calendar(timeZone).dateComponents([.year, .month, .day], from: instant)
        self.init(year: components.year!, month: components.month!, day: components.day!)
    }

    /// `YYYY-MM-DD`.
    package var iso: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    package var description: String { iso }

    package static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Noon UTC of this day: a stable instant for calendar arithmetic.
    private var noon: Date {
        Self.calendar(.gmt).date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
    }

    package func adding(days: Int) -> CalendarDate {
        CalendarDate(Self.calendar(.gmt).date(byAdding: .day, value: days, to: noon)!, in: .gmt)
    }

    /// Days from `self` to `other` (positive when `other` is later).
    package func days(until other: CalendarDate) -> Int {
        Self.calendar(.gmt).dateComponents([.day], from: noon, to: other.noon).day!
    }

    package var weekday: Weekday {
        Weekday(rawValue: Self.calendar(.gmt).component(.weekday, from: noon))!
    }

    /// "Friday, December 4, 2026": how the assistant reads it back.
    package var spoken: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .gmt
        formatter.dateFormat = "EEEE, MMMM d, yyyy"
        return formatter.string(from: noon)
    }

    package static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1, (1900...9999).contains(year) else { return false }
        return day <= daysInMonth(year: year, month: month)
    }

    package static func daysInMonth(year: Int, month: Int) -> Int {
        let calendar = calendar(.gmt)
        let date = calendar.date(from: DateComponents(year: year, month: month, day: 1, hour: 12))!
        return calendar.range(of: .day, in: .month, for: date)!.count
    }

    private static func calendar(_ timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not YYYY-MM-DD"))
        }
        self = date
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }
}

/// Days of the week, numbered as Foundation's Gregorian calendar numbers them (Sunday = 1).
package enum Weekday: Int, Sendable, CaseIterable, Codable {
    case sunday = 1, monday, tuesday, wednesday, thursday, friday, saturday

    package var name: String {
        switch self {
        case .sunday: "Sunday"
        case .monday: "Monday"
        case .tuesday: "Tuesday"
        case .wednesday: "Wednesday"
        case .thursday: "Thursday"
        case .friday: "Friday"
        case .saturday: "Saturday"
        }
    }
}
