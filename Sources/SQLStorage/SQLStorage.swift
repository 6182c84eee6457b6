import Foundation
import Logging
import PostgresKit
import SQLKit
import SQLiteKit
import ServiceLifecycle
import Synchronization

/// One SQL database behind SQLKit — a SQLite file or a PostgreSQL pool — shared by the stores that keep their tables
/// in it (the booking store, the call records).
///
/// Whoever opens it owns it: run it as a ServiceLifecycle `Service` and it is closed after every service listed after
/// it has stopped, or call ``close()`` yourself. Closing twice is harmless.
package final class SQLStorage: Service, Sendable {
    package enum Backend: String, Sendable {
        case sqlite
        case postgres
    }

    package let backend: Backend
    package let database: any SQLDatabase
    /// SQLite only: the one connection, every statement through a lock that a transaction holds throughout.
    private let serialized: SerializedSQLDatabase?
    private let shutdown: Mutex<(@Sendable () async -> Void)?>

    private init(
        backend: Backend,
        database: any SQLDatabase,
        serialized: SerializedSQLDatabase? = nil,
        shutdown: @escaping @Sendable () async -> Void
    ) {
        self.backend = backend
        self.database = database
        self.serialized = serialized
        self.shutdown = Mutex(shutdown)
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws. On PostgreSQL it has a
    /// pooled connection to itself; on SQLite it has the connection to itself (every other statement waits, in
    /// order), and takes the write lock at once (`BEGIN IMMEDIATE`). Use only the database `body` is given.
    package func transaction<Value: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> Value
    ) async throws -> Value {
        if let serialized {
            return try await serialized.exclusively { connection in
                try await Self.run(body, on: connection, begin: "BEGIN IMMEDIATE")
            }
        }
        return try await database.withSession { session in
            try await Self.run(body, on: session, begin: "BEGIN")
        }
    }

    /// A PostgreSQL advisory lock's key for `name` (FNV-1a), the same in every instance.
    package static func advisoryLockKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    private static func run<Value: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> Value,
        on session: any SQLDatabase,
        begin: String
    ) async throws -> Value {
        try await session.raw(SQLQueryString(begin)).run()
        do {
            let value = try await body(session)
            try await session.raw("COMMIT").run()
            return value
        } catch {
            try? await session.raw("ROLLBACK").run()
            throw error
        }
    }

    /// Opens (creating if needed) a SQLite file in WAL mode. One connection: SQLite allows one writer at a time anyway.
    package static func sqlite(path: String, logger: Logger) async throws -> SQLStorage {
        let logger = quiet(logger)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw SQLDatabaseError("opening the SQLite database at \(path)", underlying: error)
        }
        let database = connection.sql(queryLogLevel: nil)
        do {
            try await database.raw("PRAGMA journal_mode = WAL").run()
            try await database.raw("PRAGMA busy_timeout = 5000").run()
            try await database.raw("PRAGMA foreign_keys = ON").run()
        } catch {
            try? await connection.close()
            throw SQLDatabaseError("opening the SQLite database at \(path)", underlying: error)
        }
        let serialized = SerializedSQLDatabase(base: database, lock: AsyncLock())
        return SQLStorage(backend: .sqlite, database: serialized, serialized: serialized) {
            try? await connection.close()
        }
    }

    /// Connects to PostgreSQL with a pool of connections. With `schema` (or `?schema=` in the URL), the tables live
    /// in that schema (created if missing), so several systems, or test runs, can share one database. TLS follows
    /// the URL's `sslmode` as libpq reads it (``PostgresTLSMode``).
    package static func postgres(
        url: String,
        schema: String? = nil,
        logger: Logger,
        maximumConnections: Int = 8
    ) async throws -> SQLStorage {
        let logger = quiet(logger)
        let (tlsMode, rootCertificate, url) = try PostgresTLSMode.split(url: url)
        var components = URLComponents(string: url)
        let schemaInURL = components?.queryItems?.first { $0.name == "schema" }?.value
        let otherItems = components?.queryItems?.filter { $0.name != "schema" } ?? []
        components?.queryItems = otherItems.isEmpty ? nil : otherItems
        let schema = schema ?? schemaInURL
        var configuration = try SQLPostgresConfiguration(url: components?.string ?? url)
        configuration.coreConfiguration.tls = try tlsMode.tls(rootCertificate: rootCertificate)
        if let schema {
            guard schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw SQLStorageError(problem: "a schema name takes letters, digits and underscores only")
            }
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(
                    configuration: configuration.coreConfiguration,
                    id: 1,
                    logger: logger
                )
            } catch {
                throw SQLDatabaseError("connecting to PostgreSQL", underlying: error)
            }
            do {
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"),
                    logger: logger
                )
            } catch {
                try? await connection.close()
                // Two instances creating the schema at once: the other one made it.
                if SQLDatabaseError.describe(error).contains("SQL state 23505") == false {
                    throw SQLDatabaseError("creating the PostgreSQL schema \(schema)", underlying: error)
                }
            }
            try? await connection.close()
            configuration.searchPath = [schema]
        }
        let pool = EventLoopGroupConnectionPool(
            source: PostgresConnectionSource(sqlConfiguration: configuration),
            maxConnectionsPerEventLoop: max(1, maximumConnections / max(1, System.coreCount)),
            logger: logger,
            on: MultiThreadedEventLoopGroup.singleton
        )
        let database = pool.database(logger: logger).sql(queryLogLevel: nil)
        // Fail now, with a clear error, if the server cannot be reached.
        do {
            try await database.raw("SELECT 1").run()
        } catch {
            try? await pool.shutdownAsync()
            throw SQLDatabaseError("connecting to PostgreSQL", underlying: error)
        }
        let handle = PoolHandle(pool: pool)
        return SQLStorage(backend: .postgres, database: database) {
            try? await handle.pool.shutdownAsync()
        }
    }

    /// `EventLoopGroupConnectionPool` predates `Sendable` but guards all of its state with a lock and is built to
    /// be shared across event loops (it is what `database(logger:)` hands out), so passing it to the shutdown
    /// closure is safe.
    private struct PoolHandle: @unchecked Sendable {
        let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>
    }

    /// Closes the connections; the first call does it, later calls return at once. It finishes even when the
    /// calling task is cancelled (a service group past its shutdown deadline): an open SQLite connection must not
    /// outlive its storage.
    package func close() async {
        let shutdown = self.shutdown.withLock { shutdown in
            defer { shutdown = nil }
            return shutdown
        }
        guard let shutdown else { return }
        await Task { await shutdown() }.value
    }

    /// The drivers' own logger: never below `info`, since their debug and trace lines carry queries and their
    /// values, which hold callers' names, numbers and addresses.
    private static func quiet(_ logger: Logger) -> Logger {
        var logger = logger
        logger.logLevel = max(logger.logLevel, .info)
        return logger
    }

    /// A storage dropped without ``close()`` (an application built and never run) is closed in the background: the
    /// task keeps the connections alive until they are closed, as the drivers require.
    deinit {
        guard let shutdown = shutdown.withLock({ $0 }) else { return }
        Task { await shutdown() }
    }

    /// Keeps the database open until the service group shuts down, then closes it.
    package func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}

/// The database could not be opened as asked.
package struct SQLStorageError: Error, Sendable, CustomStringConvertible {
    package var problem: String
    package var description: String { problem }
}
