import Foundation
import SQLKit
import SQLStorage
import Testing
import VoiceTesting

/// Migrations on both backends: each version once, in order, with each part's own record of what it applied.
@Suite(.timeLimit(.minutes(1)))
struct SQLStorageTests {
    static let notes = SQLMigrations(
        table: "notes_migrations",
        name: "notes",
        all: [
            (1, ["CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)"]),
            (2, ["ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0"]),
        ]
    )

    @Test(arguments: TestDatabase.allCases)
    func migrationsRunOnceEachInOrder(backend: TestDatabase) async throws {
        try await backend.withStorage { storage in
            try await Self.notes.run(on: storage, logger: TestDatabase.quietLogger)
            // A second run (another start) applies nothing: the ALTER would fail if it ran again.
            try await Self.notes.run(on: storage, logger: TestDatabase.quietLogger)
            try await storage.database.raw("INSERT INTO notes (id, body, pinned) VALUES ('n1', 'hello', 1)").run()
            let versions = try await storage.database.raw("SELECT version FROM notes_migrations ORDER BY version")
                .all().map { try $0.decode(column: "version", as: Int.self) }
            #expect(versions == [1, 2])
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aNewVersionIsAppliedToADatabaseThatHasTheOldOnes(backend: TestDatabase) async throws {
        try await backend.withStorage { storage in
            let first = SQLMigrations(table: "notes_migrations", name: "notes", all: [Self.notes.all[0]])
            try await first.run(on: storage, logger: TestDatabase.quietLogger)
            try await Self.notes.run(on: storage, logger: TestDatabase.quietLogger)
            let rows = try await storage.database.raw("SELECT pinned FROM notes").all()
            #expect(rows.isEmpty)
            let versions = try await storage.database.raw("SELECT version FROM notes_migrations").all()
            #expect(versions.count == 2)
        }
    }

    /// On PostgreSQL, the way to run several instances; SQLite is one instance's database.
    @Test func instancesStartingTogetherApplyEachVersionOnce() async throws {
        try await TestDatabase.postgres.withStorages(4) { storages in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for storage in storages {
                    group.addTask { try await Self.notes.run(on: storage, logger: TestDatabase.quietLogger) }
                }
                try await group.waitForAll()
            }
            let versions = try await storages[0].database.raw("SELECT version FROM notes_migrations ORDER BY version")
                .all().map { try $0.decode(column: "version", as: Int.self) }
            #expect(versions == [1, 2])
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aVersionThatFailsHalfWayLeavesNothingAndNamesWhatFailed(backend: TestDatabase) async throws {
        try await backend.withStorage { storage in
            let broken = SQLMigrations(
                table: "notes_migrations",
                name: "notes",
                all: [(1, ["CREATE TABLE notes (id TEXT PRIMARY KEY)", "CREATE TABLE notes (id TEXT PRIMARY KEY)"])]
            )
            let error = await #expect(throws: SQLDatabaseError.self) {
                try await broken.run(on: storage, logger: TestDatabase.quietLogger)
            }
            #expect(error?.action == "applying notes migration 1")
            #expect(error?.reason.contains(backend == .postgres ? "SQL state 42P07" : "already exists") == true)
            // Nothing of the version is left: the fixed list applies from the start.
            try await Self.notes.run(on: storage, logger: TestDatabase.quietLogger)
            let versions = try await storage.database.raw("SELECT version FROM notes_migrations").all()
            #expect(versions.count == 2)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aTransactionIsAllOrNothingAndTransactionsDoNotInterleave(backend: TestDatabase) async throws {
        try await backend.withStorage { storage in
            try await storage.database.raw("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
                .run()
            try await storage.database.raw("INSERT INTO counter (id, value) VALUES (1, 0)").run()
            struct Abandoned: Error {}
            await #expect(throws: Abandoned.self) {
                try await storage.transaction { database in
                    try await database.raw("UPDATE counter SET value = 100 WHERE id = 1").run()
                    throw Abandoned()
                }
            }
            // Read, then write what was read plus one: without isolation, concurrent increments would be lost.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await storage.transaction { database in
                            let lockSuffix = backend == .postgres ? " FOR UPDATE" : ""
                            let value = try await database.raw(
                                SQLQueryString("SELECT value FROM counter WHERE id = 1" + lockSuffix)
                            ).first()!.decode(column: "value", as: Int.self)
                            try await database.raw("UPDATE counter SET value = \(bind: value + 1) WHERE id = 1").run()
                        }
                    }
                    // Statements outside transactions go on meanwhile, on the shared connection.
                    group.addTask { _ = try await storage.database.raw("SELECT value FROM counter").all() }
                }
                try await group.waitForAll()
            }
            let value = try await storage.database.raw("SELECT value FROM counter WHERE id = 1").first()!
                .decode(column: "value", as: Int.self)
            #expect(value == 20)
        }
    }

    @Test func aRefusedPostgreSQLLoginSaysWhyWithoutThePassword() async throws {
        guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"],
            var components = URLComponents(string: url)
        else { return }
        components.password = "not-the-password-42"
        let error = await #expect(throws: SQLDatabaseError.self) {
            _ = try await SQLStorage.postgres(url: components.string!, logger: TestDatabase.quietLogger)
        }
        let text = "\(error.map(String.init(describing:)) ?? "")"
        #expect(text.contains("connecting to PostgreSQL failed"))
        #expect(text.contains("28P01"))
        #expect(!text.contains("not-the-password-42"))
    }

    @Test func closingTwiceIsHarmlessAndAClosedSQLiteFileIsKept() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID()).sqlite").path
        let storage = try await SQLStorage.sqlite(path: path, logger: TestDatabase.quietLogger)
        try await storage.database.raw("CREATE TABLE kept (id INTEGER)").run()
        await storage.close()
        await storage.close()
        let reopened = try await SQLStorage.sqlite(path: path, logger: TestDatabase.quietLogger)
        let rows = try await reopened.database.raw("SELECT id FROM kept").all()
        #expect(rows.isEmpty)
        await reopened.close()
    }

    @Test func aSchemaNameWithOtherCharactersIsRefusedBeforeConnecting() async throws {
        await #expect(throws: SQLStorageError.self) {
            _ = try await SQLStorage.postgres(
                url: "postgres://nobody@127.0.0.1:1/none",
                schema: "x; DROP TABLE jobs",
                logger: TestDatabase.quietLogger
            )
        }
    }
}
