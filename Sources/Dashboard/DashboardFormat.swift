import Booking
import Foundation

/// How the dashboard writes numbers, times and phone numbers, in the business's time zone.
struct DashboardFormat: Sendable {
    let timeZone: TimeZone

    /// `+1 ••• ••• 2671`: the country code and the last four digits; lists show only this.
    static func masked(_ phone: String?) -> String {
        guard let phone, !phone.isEmpty else { return "hidden number" }
        let digits = phone.filter(\.isNumber)
        guard digits.count >= 4 else { return "•••" }
        let country = phone.hasPrefix("+1") ? "+1 " : (phone.hasPrefix("+") ? "+" : "")
        return country + "••• ••• " + digits.suffix(4)
    }

    /// `text` with every phone number in it masked (Twilio's error messages can name the number).
    static func maskingNumbers(_ text: String) -> String {
        text.replacing(/\+?\d[\d\- ().]{6,}\d/) { match in masked(String(match.output)) }
    }

    /// `+1 (415) 555-2671` for North American numbers; other numbers as stored.
    static func full(_ phone: String?) -> String {
        guard let phone, !phone.isEmpty else { return "hidden number" }
        let digits = Array(phone.filter(\.isNumber))
        guard phone.hasPrefix("+1"), digits.count == 11 else { return phone }
        return "+1 (\(String(digits[1...3]))) \(String(digits[4...6]))-\(String(digits[7...10]))"
    }

    static func duration(seconds: Int?) -> String {
        guard let seconds else { return "—" }
        return seconds >= 60 ? "\(seconds / 60) min \(seconds % 60) s" : "\(seconds) s"
    }

    static func milliseconds(_ value: Int?) -> String {
        guard let value else { return "—" }
        return value >= 1000 ? String(format: "%.1f s", Double(value) / 1000) : "\(value) ms"
    }

    static func dollars(microDollars: Int?) -> String {
        guard let microDollars else { return "—" }
        return String(format: "$%.2f", Double(microDollars) / 1_000_000)
    }

    static func percent(_ share: Double?) -> String {
        guard let share else { return "—" }
        return String(format: "%.0f%%", share * 100)
    }

    /// `Dec 2, 14:05` (with the year when it is not this year).
    func dateTime(_ date: Date, now: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let sameYear = calendar.component(.year, from: date) == calendar.component(.year, from: now)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = sameYear ? "MMM d, HH:mm" : "MMM d yyyy, HH:mm"
        return formatter.string(from: date)
    }

    /// `14:05:09`.
    func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }

    /// The start of `date`'s day in the business's time zone.
    func startOfDay(_ date: CalendarDate) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day)) ?? Date()
    }

    /// The calendar day `date` falls on in the business's time zone.
    func day(of date: Date) -> CalendarDate {
        CalendarDate(date, in: timeZone)
    }

    static func label(_ outcome: String?) -> String {
        guard let outcome else { return "in progress" }
        return outcome.replacingOccurrences(of: "_", with: " ")
    }
}
