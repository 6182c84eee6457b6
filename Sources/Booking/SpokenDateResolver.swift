import Foundation

/// Turns a date as a caller says it into a calendar date: an ISO date, "today", "tomorrow", "the day after
/// tomorrow", "in 3 days", "Friday", "this Friday", "next Friday", "the 14th", "December 3rd", "3rd of December",
/// "Dec 3 2026", "12/3". Relative words count from `today`, which the caller of the resolver takes in the business's
/// time zone.
///
/// Conventions: a bare weekday is its next occurrence after today; "next <weekday>" is that day in the following
/// Monday-to-Sunday week; a day or month-and-day without a year is the next one that has not passed.
package struct SpokenDateResolver: Sendable {
    package let today: CalendarDate

    package init(today: CalendarDate) {
        self.today = today
    }

    private static let months: [String: Int] = [
        "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
        "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
        "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    ]

    private static let weekdays: [String: Weekday] = [
        "sunday": .sunday, "sun": .sunday, "monday": .monday, "mon": .monday, "tuesday": .tuesday, "tue": .tuesday,
        "tues": .tuesday, "wednesday": .wednesday, "wed": .wednesday, "thursday": .thursday, "thu": .thursday,
        "thurs": .thursday, "friday": .friday, "fri": .friday, "saturday": .saturday, "sat": .saturday,
    ]

    private static let fillerWords: Set<String> = ["on", "the", "of", "for", "coming", "a", "at"]

    private static let numberWords: [String: Int] = [
        "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    ]

    /// The date meant by `text`, or a ``BookingError/unreadableDate(_:)`` the assistant can say.
    package func resolve(_ text: String) throws(BookingError) -> CalendarDate {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let iso = CalendarDate(iso: trimmed) { return iso }
        let cleaned = String(
            trimmed.lowercased().map { (character: Character) -> Character in
                character.isLetter || character.isNumber || character == "/" ? character : " "
            }
        )
        let words: [String] = cleaned.split(separator: " ").map(String.init).filter { !Self.fillerWords.contains($0) }
        guard !words.isEmpty else { throw .unreadableDate(text) }

        switch words.joined(separator: " ") {
        case "today": return today
        case "tomorrow": return today.adding(days: 1)
        case "day after tomorrow": return today.adding(days: 2)
        default: break
        }
        if words.count >= 2, words[0] == "in", words.last!.hasPrefix("day"),
            let count = Int(words[1]) ?? Self.numberWords[words[1]]
        {
            return today.adding(days: count)
        }
        if let weekday = words.lazy.compactMap({ Self.weekdays[$0] }).first {
            let next = words.contains("next") || (words.contains("week") && !words.contains("this"))
            return resolve(weekday, inFollowingWeek: next)
        }
        if words.count == 1, words[0].contains("/") {
            return try resolveSlashed(words[0], original: text)
        }
        let numbers = words.compactMap(Self.number)
        if let month = words.lazy.compactMap({ Self.months[$0] }).first {
            guard let day = numbers.first(where: { $0 <= 31 }) else { throw .unreadableDate(text) }
            let year = numbers.first { $0 >= 1900 }
            return try resolve(month: month, day: day, year: year, original: text)
        }
        if numbers.count == 1, let day = numbers.first, (1...31).contains(day) {
            return try resolve(dayOfMonth: day, original: text)
        }
        throw .unreadableDate(text)
    }

    /// "14", "14th", "3rd", "22nd", "1st".
    private static func number(_ word: String) -> Int? {
        if let number = Int(word) { return number }
        for suffix in ["st", "nd", "rd", "th"] where word.hasSuffix(suffix) {
            return Int(word.dropLast(2))
        }
        return nil
    }

    private func resolve(_ weekday: Weekday, inFollowingWeek: Bool) -> CalendarDate {
        if inFollowingWeek {
            // Monday of next week, then forward to the weekday (Sunday is the last day of that week).
            let daysSinceMonday = (today.weekday.rawValue + 5) % 7
            let nextMonday = today.adding(days: 7 - daysSinceMonday)
            return nextMonday.adding(days: (weekday.rawValue + 5) % 7)
        }
        let ahead = (weekday.rawValue - today.weekday.rawValue + 7) % 7
        return today.adding(days: ahead == 0 ? 7 : ahead)
    }

    private func resolve(dayOfMonth day: Int, original: String) throws(BookingError) -> CalendarDate {
        var year = today.year
        var month = today.month
        for _ in 0..<13 {
            if CalendarDate.isValid(year: year, month: month, day: day) {
                let candidate = CalendarDate(year: year, month: month, day: day)
                if candidate >= today { return candidate }
            }
            month += 1
            if month > 12 {
                month = 1
                year += 1
            }
        }
        throw .unreadableDate(original)
    }

    private func resolve(month: Int, day: Int, year: Int?, original: String) throws(BookingError) -> CalendarDate {
        if let year {
            guard CalendarDate.isValid(year: year, month: month, day: day) else { throw .unreadableDate(original) }
            return CalendarDate(year: year, month: month, day: day)
        }
        for year in [today.year, today.year + 1] where CalendarDate.isValid(year: year, month: month, day: day) {
            let candidate = CalendarDate(year: year, month: month, day: day)
            if candidate >= today { return candidate }
        }
        // February 29th: the next leap year.
        for year in (today.year + 2)...(today.year + 8) where CalendarDate.isValid(year: year, month: month, day: day) {
            return CalendarDate(year: year, month: month, day: day)
        }
        throw .unreadableDate(original)
    }

    /// US order: month/day or month/day/year.
    private func resolveSlashed(_ word: String, original: String) throws(BookingError) -> CalendarDate {
        let parts = word.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2 || parts.count == 3 else { throw .unreadableDate(original) }
        var year = parts.count == 3 ? parts[2] : nil
        if let short = year, short < 100 { year = 2000 + short }
        return try resolve(month: parts[0], day: parts[1], year: year, original: original)
    }
}
