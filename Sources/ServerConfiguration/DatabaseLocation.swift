import Foundation

/// `DATABASE_URL`: where a server keeps its tables.
package enum DatabaseLocation: Sendable, Equatable {
    /// A SQLite file (created if missing).
    case sqlite(path: String)
    /// A PostgreSQL server, as a `postgres://user:password@host:port/database` URL.
    case postgres(url: Secret)

    /// `sqlite` or `postgres`: safe to log.
    package var kind: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }

    /// A SQLite file path (or `sqlite://path`) or a `postgres://` URL.
    package init(parsing text: String) throws(ConfigurationError) {
        guard let schemeEnd = text.range(of: "://") else {
            self = .sqlite(path: text)
            return
        }
        switch text[..<schemeEnd.lowerBound].lowercased() {
        case "postgres", "postgresql":
            guard let url = URL(string: text), url.host != nil else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.databaseURL.name,
                    problem: "is not a valid postgres:// URL"
                )
            }
            self = .postgres(url: Secret(text))
        case "sqlite":
            self = .sqlite(path: String(text[schemeEnd.upperBound...]))
        default:
            throw ConfigurationError(
                variable: ConfigurationVariable.databaseURL.name,
                problem: "must be a SQLite file path or a postgres:// URL"
            )
        }
    }
}
