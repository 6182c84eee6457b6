import PostgresKit
import SQLiteKit

/// A database error as an operator can act on it: what was being done, and what the database said. PostgresNIO
/// hides its server's message behind "Generic description to prevent accidental leakage of sensitive data"; the
/// message and SQL state are read from it here (the server's message never holds the password: it is not sent).
package struct SQLDatabaseError: Error, Sendable, CustomStringConvertible {
    /// What was being done, such as "applying booking migration 5".
    package var action: String
    /// What the database said.
    package var reason: String

    package init(_ action: String, underlying error: any Error) {
        self.action = action
        self.reason = Self.describe(error)
    }

    package var description: String { "\(action) failed: \(reason)" }

    /// The database's own words for `error`.
    package static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                var text = info[.message] ?? "an error"
                if let detail = info[.detail] { text += " (\(detail))" }
                if let state = info[.sqlState] { text += ", SQL state \(state)" }
                return "PostgreSQL: " + text
            }
            // No server message: a connection problem, which the code names.
            return "PostgreSQL: \(error.code)" + (error.underlying.map { ", \($0)" } ?? "")
        }
        if let error = error as? SQLiteError {
            return "SQLite: \(error.message) (\(error.reason))"
        }
        return "\(error)"
    }
}
