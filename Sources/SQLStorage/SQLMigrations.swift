import Foundation
import Logging
import SQLKit

/// Versioned schema changes for one part of the database, applied in order at start, each version once. Each part
/// (the booking tables, the call records) keeps its own list and its own table of applied versions, so either can
/// live alone in a database or beside the other. The SQL must run unchanged on SQLite and PostgreSQL.
///
/// Several instances may start together on one database: each version is applied in a transaction that first
/// takes a lock (PostgreSQL: an advisory lock named after the part; SQLite: the write lock), then checks whether
/// another instance applied it meanwhile. A version that fails half-way leaves nothing behind, so the next start
/// tries it again whole.
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

    /// The advisory lock's key: the table's name, the same in every instance.
    var lockKey: Int64 { SQLStorage.advisoryLockKey(table) }

    package func run(on storage: SQLStorage, logger: Logger) async throws {
        for migration in all {
            let applied = try await apply(migration, on: storage)
            if applied {
                logger.info("Applied migration", metadata: ["part": "\(name)", "version": "\(migration.version)"])
            }
        }
    }

    /// Applies `migration` unless it is applied already; says whether this call applied it.
    private func apply(_ migration: Migration, on storage: SQLStorage) async throws -> Bool {
        let table = self.table
        let lockKey = self.lockKey
        let backend = storage.backend
        do {
            return try await storage.transaction { database in
                if backend == .postgres {
                    // Held until the transaction ends; another instance waits here for this version.
                    try await database.raw("SELECT pg_advisory_xact_lock(\(bind: lockKey))").run()
                }
                try await database.raw(
                    """
                    CREATE TABLE IF NOT EXISTS \(ident: table) (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)
                    """
                ).run()
                let done = try await database.raw(
                    "SELECT version FROM \(ident: table) WHERE version = \(bind: migration.version)"
                ).first()
                guard done == nil else { return false }
                for statement in migration.statements {
                    try await database.raw(SQLQueryString(statement)).run()
                }
                try await database.raw(
                    """
                    INSERT INTO \(ident: table) (version, applied_at)
                    VALUES (\(bind: migration.version), \(bind: SQLTimestamp.text(Date())))
                    """
                ).run()
                return true
            }
        } catch {
            throw SQLDatabaseError("applying \(name) migration \(migration.version)", underlying: error)
        }
    }
}
