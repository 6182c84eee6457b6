import Foundation
import Testing

@testable import Booking

@Suite struct SpokenDateResolverTests {
    /// Wednesday, November 25, 2026.
    let resolver = SpokenDateResolver(today: CalendarDate(year: 2026, month: 11, day: 25))

    func date(_ text: String) throws -> String {
        try resolver.resolve(text).iso
    }

    @Test(arguments: [
        ("2026-12-03", "2026-12-03"),
        ("today", "2026-11-25"),
        ("Tomorrow", "2026-11-26"),
        ("the day after tomorrow", "2026-11-27"),
        ("in 3 days", "2026-11-28"),
        ("in two days", "2026-11-27"),
        ("Friday", "2026-11-27"),
        ("this Friday", "2026-11-27"),
        ("on friday", "2026-11-27"),
        ("next Friday", "2026-12-04"),
        ("friday next week", "2026-12-04"),
        ("Wednesday", "2026-12-02"),
        ("next Monday", "2026-11-30"),
        ("next Sunday", "2026-12-06"),
        ("the 14th", "2026-12-14"),
        ("the 28th", "2026-11-28"),
        ("25th", "2026-11-25"),
        ("December 3rd", "2026-12-03"),
        ("Dec 3", "2026-12-03"),
        ("3rd of December", "2026-12-03"),
        ("December 3rd, 2027", "2027-12-03"),
        ("January 2nd", "2027-01-02"),
        ("november 1", "2027-11-01"),
        ("12/3", "2026-12-03"),
        ("1/15/27", "2027-01-15"),
    ])
    func resolvesWhatCallersSay(text: String, expected: String) throws {
        #expect(try date(text) == expected)
    }

    @Test func crossesTheEndOfTheMonthAndTheYear() throws {
        let endOfYear = SpokenDateResolver(today: CalendarDate(year: 2026, month: 12, day: 31))
        #expect(try endOfYear.resolve("tomorrow").iso == "2027-01-01")
        #expect(try endOfYear.resolve("the 2nd").iso == "2027-01-02")
        #expect(try endOfYear.resolve("Friday").iso == "2027-01-01")
        #expect(try endOfYear.resolve("next Monday").iso == "2027-01-04")
        // The 31st of a 30-day month is skipped to the next month that has one.
        let endOfNovember = SpokenDateResolver(today: CalendarDate(year: 2026, month: 11, day: 30))
        #expect(try endOfNovember.resolve("the 31st").iso == "2026-12-31")
        #expect(try endOfNovember.resolve("in 2 days").iso == "2026-12-02")
        // February 29th is the next leap year's.
        #expect(try endOfNovember.resolve("February 29").iso == "2028-02-29")
    }

    @Test func weekdaysAtTheEdgeOfTheWeek() throws {
        // Saturday, November 28: "Monday" is two days on; "next Saturday" is in the following week.
        let saturday = SpokenDateResolver(today: CalendarDate(year: 2026, month: 11, day: 28))
        #expect(try saturday.resolve("Monday").iso == "2026-11-30")
        #expect(try saturday.resolve("Saturday").iso == "2026-12-05")
        #expect(try saturday.resolve("next Saturday").iso == "2026-12-05")
        // Sunday, November 29, the last day of its week: "next Monday" is tomorrow.
        let sunday = SpokenDateResolver(today: CalendarDate(year: 2026, month: 11, day: 29))
        #expect(try sunday.resolve("next Monday").iso == "2026-11-30")
    }

    @Test(arguments: ["", "someday", "next week", "the 45th", "February 30 2027", "13/40", "asap please"])
    func refusesWhatIsNotADate(text: String) {
        #expect(throws: BookingError.unreadableDate(text)) { try resolver.resolve(text) }
    }

    @Test func todayDependsOnTheTimeZone() {
        // 2026-12-01 03:30 UTC is still November 30 in New York, already December 1 in Tokyo.
        let instant = Date(timeIntervalSince1970: 1_796_095_800)
        #expect(CalendarDate(instant, in: TimeZone(identifier: "America/New_York")!).iso == "2026-11-30")
        #expect(CalendarDate(instant, in: TimeZone(identifier: "Asia/Tokyo")!).iso == "2026-12-01")
        #expect(CalendarDate(year: 2026, month: 11, day: 30).weekday == .monday)
        #expect(CalendarDate(year: 2026, month: 12, day: 4).spoken == "Friday, December 4, 2026")
    }
}
