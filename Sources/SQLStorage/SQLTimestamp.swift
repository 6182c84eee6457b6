import Foundation

/// Timestamps are stored as ISO 8601 text with milliseconds, which sorts and reads the same on both backends.
package enum SQLTimestamp {
    package static func text(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    package static func date(_ text: String) throws -> Date {
        try Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
