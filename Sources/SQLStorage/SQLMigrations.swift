import Foundation
import Logging
import SQLKit

/// Versioned schema changes for one part of the database, applied in order at start, each version once. Each part
/// (the booking tables, the call records) keeps its own list and its own table of applied versions, so either can
/// live alone in a database or beside the other. The SQL must run unchanged on SQLite and PostgreSQL.
package struct SQLMigrations: Sendable {
    package typealias Migration = (version: Int, statements: [String])

    /// The table that lists the versions applied, such as `schema_migrations`.
    package let table: String
    /// How logs name this part, such as `booking`.
    package let name: String
    package let all: [Migration]

    package init(table: String, name: String, all: [Migration]) {
        precondition(table.allSatisfy { $0.isASCII && ($0.isLetter || $0 == "_") }, "a plain table name")
        self.table = table
        self.name = name
        self.all = all
    }

    package func run(on database: any SQLDatabase, logger: Logger) async throws {
        try await database.raw(
            "CREATE TABLE IF NOT EXISTS \(ident: table) (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        ).run()
        let applied = Set(
            try await database.raw("SELECT version FROM \(ident: table)").all().map {
                try $0.decode(column: "version", as: Int.self)
            }
        )
        for migration in all where !applied.contains(migration.version) {
            for statement in migration.statements {
                try await database.raw(SQLQueryString(statement)).run()
            }
            // Two instances starting together may both get here; the primary key keeps one row.
            try await database.raw(
                """
                INSERT INTO \(ident: table) (version, applied_at)
                VALUES (\(bind: migration.version), \(bind: SQLTimestamp.text(Date())))
                ON CONFLICT (version) DO NOTHING
                """
            ).run()
            logger.info("Applied migration", metadata: ["part": "\(name)", "version": "\(migration.version)"])
        }
    }
}
