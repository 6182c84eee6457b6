import Foundation
import SQLKit
import SQLStorage
import Testing
import VoiceTesting

/// TLS to PostgreSQL as libpq reads `sslmode`, against the test server, which must offer TLS with a self-signed
/// certificate (`.ci/run` sets `ssl = on` with one), as Heroku's does.
@Suite(.timeLimit(.minutes(1)))
struct PostgresTLSTests {
    /// `TEST_POSTGRES_URL` with `sslmode` set (or left out when `nil`); `nil` outside CI without a server.
    static func url(sslmode: String?) throws -> String? {
        guard let (url, _) = try TestDatabase.postgres.location(), var components = URLComponents(string: url)
        else { return nil }
        var items = (components.queryItems ?? []).filter { $0.name != "sslmode" }
        if let sslmode { items.append(URLQueryItem(name: "sslmode", value: sslmode)) }
        components.queryItems = items.isEmpty ? nil : items
        return components.string
    }

    /// Whether this connection is encrypted, as the server sees it.
    static func isEncrypted(_ storage: SQLStorage) async throws -> Bool {
        let row = try await storage.database.raw("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first()
        return try #require(row).decode(column: "ssl", as: Bool.self)
    }

    static func connect(sslmode: String?) async throws -> SQLStorage? {
        guard let url = try url(sslmode: sslmode) else { return nil }
        return try await SQLStorage.postgres(url: url, logger: TestDatabase.quietLogger, maximumConnections: 1)
    }

    @Test func theTestServerOffersTLS() async throws {
        guard let storage = try await Self.connect(sslmode: "disable") else { return }
        let ssl = try await storage.database.raw("SHOW ssl").first()?.decode(column: "ssl", as: String.self)
        await storage.close()
        #expect(ssl == "on", "the PostgreSQL server for the tests needs ssl = on (.ci/run sets it)")
    }

    @Test(arguments: ["require", "prefer"])
    func requireAndPreferEncryptWithoutVerifyingTheCertificate(sslmode: String) async throws {
        guard let storage = try await Self.connect(sslmode: sslmode) else { return }
        let encrypted = try await Self.isEncrypted(storage)
        await storage.close()
        #expect(encrypted)
    }

    @Test func aURLWithoutSSLModeIsEncryptedLikePsql() async throws {
        guard let storage = try await Self.connect(sslmode: nil) else { return }
        let encrypted = try await Self.isEncrypted(storage)
        await storage.close()
        #expect(encrypted)
    }

    @Test func disableConnectsInTheClear() async throws {
        guard let storage = try await Self.connect(sslmode: "disable") else { return }
        let encrypted = try await Self.isEncrypted(storage)
        await storage.close()
        #expect(!encrypted)
    }

    @Test(arguments: ["verify-ca", "verify-full"])
    func verifyingModesRefuseASelfSignedCertificate(sslmode: String) async throws {
        guard let url = try Self.url(sslmode: sslmode) else { return }
        let error = await #expect(throws: SQLDatabaseError.self) {
            _ = try await SQLStorage.postgres(url: url, logger: TestDatabase.quietLogger, maximumConnections: 1)
        }
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains("connecting to PostgreSQL failed"))
        #expect(text.lowercased().contains("certificate"), "\(text)")
    }

    @Test func anUnknownModeIsRefusedByNameBeforeConnecting() async throws {
        let error = await #expect(throws: SQLStorageError.self) {
            _ = try await SQLStorage.postgres(
                url: "postgres://nobody@127.0.0.1:1/none?sslmode=sometimes",
                logger: TestDatabase.quietLogger
            )
        }
        #expect(
            error?.problem
                == "DATABASE_URL: sslmode=sometimes is not one of disable, allow, prefer, require, verify-ca, verify-full"
        )
    }
}
