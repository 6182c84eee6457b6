import Foundation
import Logging
import SQLStorage

/// A fresh database for one test: a new SQLite file, or a new schema on the PostgreSQL server that
/// `TEST_POSTGRES_URL` names. Storage suites run on both.
package enum TestDatabase: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    package var description: String { rawValue }

    /// The `DATABASE_URL` of a fresh database, and the PostgreSQL schema to use in it; `nil` when PostgreSQL is
    /// asked for but `TEST_POSTGRES_URL` is unset outside CI (the reason is printed). Under `CI=true` a missing
    /// server fails the test instead.
    package func location() throws -> (databaseURL: String, schema: String?)? {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("test-\(UUID()).sqlite").path
            return (path, nil)
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"] else {
                if ProcessInfo.processInfo.environment["CI"] == "true" {
                    throw TestDatabaseUnavailable()
                }
                print("Skipped PostgreSQL: set TEST_POSTGRES_URL to run the storage suites against a server")
                return nil
            }
            return (url, "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
        }
    }

    /// Opens a fresh database for `body` and closes it afterwards; does nothing where ``location()`` is `nil`.
    package func withStorage(
        logger: Logger = TestDatabase.quietLogger,
        _ body: (SQLStorage) async throws -> Void
    ) async throws {
        try await withStorages(1, logger: logger) { try await body($0[0]) }
    }

    /// Opens `count` storages on one fresh database, as that many instances would, for `body`.
    package func withStorages(
        _ count: Int,
        logger: Logger = TestDatabase.quietLogger,
        _ body: ([SQLStorage]) async throws -> Void
    ) async throws {
        guard let (url, schema) = try location() else { return }
        var storages: [SQLStorage] = []
        do {
            for _ in 0..<count {
                let storage =
                    switch self {
                    case .sqlite: try await SQLStorage.sqlite(path: url, logger: logger)
                    case .postgres: try await SQLStorage.postgres(url: url, schema: schema, logger: logger)
                    }
                storages.append(storage)
            }
            try await body(storages)
        } catch {
            for storage in storages { await storage.close() }
            throw error
        }
        for storage in storages { await storage.close() }
    }

    package static var quietLogger: Logger {
        var logger = Logger(label: "test-database")
        logger.logLevel = .warning
        return logger
    }
}

/// `CI=true` but `TEST_POSTGRES_URL` is unset: the PostgreSQL case cannot be skipped there.
package struct TestDatabaseUnavailable: Error, CustomStringConvertible {
    package var description: String {
        "TEST_POSTGRES_URL is not set under CI: the PostgreSQL case was not tested"
    }
}
