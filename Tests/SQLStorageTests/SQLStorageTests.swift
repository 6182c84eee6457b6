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
            try await Self.notes.run(on: storage.database, logger: TestDatabase.quietLogger)
            // A second run (another start) applies nothing: the ALTER would fail if it ran again.
            try await Self.notes.run(on: storage.database, logger: TestDatabase.quietLogger)
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
            try await first.run(on: storage.database, logger: TestDatabase.quietLogger)
            try await Self.notes.run(on: storage.database, logger: TestDatabase.quietLogger)
            let rows = try await storage.database.raw("SELECT pinned FROM notes").all()
            #expect(rows.isEmpty)
            let versions = try await storage.database.raw("SELECT version FROM notes_migrations").all()
            #expect(versions.count == 2)
        }
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
