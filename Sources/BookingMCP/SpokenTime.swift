import Foundation

/// Moments as a result carries them: ISO 8601 for programs, and a phrase the assistant can say.
enum SpokenTime {
    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// "on Tuesday, December 1 at 3:05 PM", in the business's time zone.
    static func spoken(_ date: Date, in timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "'on' EEEE, MMMM d 'at' h:mm a"
        return formatter.string(from: date)
    }
}
