import Crypto
import Foundation
import Logging
import SQLKit
import SQLStorage

/// Signed-in staff, in the database so every instance knows them and signing out ends the session everywhere.
/// The cookie holds a random session id; the table keeps only its SHA-256, so a copy of the database signs no one in.
package struct DashboardSessionStore: Sendable {
    /// A signed-in session: its CSRF token goes in every form.
    package struct Session: Sendable, Equatable {
        package var csrfToken: String
        package var expiresAt: Date
    }

    package let storage: SQLStorage
    /// How long a sign-in lasts.
    package var lifetime: Duration

    package init(storage: SQLStorage, lifetime: Duration = .seconds(12 * 3600)) {
        self.storage = storage
        self.lifetime = lifetime
    }

    static let migrations = SQLMigrations(
        table: "dashboard_migrations",
        name: "dashboard",
        all: [
            (
                1,
                [
                    """
                    CREATE TABLE IF NOT EXISTS dashboard_sessions (
                        id_hash TEXT PRIMARY KEY,
                        csrf_token TEXT NOT NULL,
                        token_hash TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        expires_at TEXT NOT NULL
                    )
                    """,
                    "CREATE INDEX IF NOT EXISTS dashboard_sessions_expiry ON dashboard_sessions (expires_at)",
                ]
            )
        ]
    )

    package func prepare(logger: Logger) async throws {
        try await Self.migrations.run(on: storage, logger: logger)
    }

    /// Starts a session for whoever gave `adminToken`; returns the cookie's value and the session.
    package func create(adminToken: String, now: Date = Date()) async throws -> (cookie: String, session: Session) {
        let id = Self.randomToken()
        let session = Session(csrfToken: Self.randomToken(), expiresAt: now + TimeInterval(lifetime.components.seconds))
        try await storage.database.raw(
            """
            INSERT INTO dashboard_sessions (id_hash, csrf_token, token_hash, created_at, expires_at) VALUES
            (\(bind: Self.hash(id)), \(bind: session.csrfToken), \(bind: Self.hash(adminToken)), \(bind: SQLTimestamp.text(now)),
            \(bind: SQLTimestamp.text(session.expiresAt)))
            """
        ).run()
        // Expired sessions are swept as new ones start.
        try await storage.database.raw(
            "DELETE FROM dashboard_sessions WHERE expires_at < \(bind: SQLTimestamp.text(now))"
        ).run()
        return (id, session)
    }

    /// The live session a cookie names; `nil` when unknown, expired, or begun with another admin token (a rotated
    /// `ADMIN_TOKEN` signs everyone out).
    package func session(cookie: String, adminToken: String, now: Date = Date()) async throws -> Session? {
        guard !cookie.isEmpty else { return nil }
        let row = try await storage.database.raw(
            """
            SELECT csrf_token, expires_at FROM dashboard_sessions
            WHERE id_hash = \(bind: Self.hash(cookie)) AND token_hash = \(bind: Self.hash(adminToken))
            """
        ).first()
        guard let row else { return nil }
        let expiresAt = try SQLTimestamp.date(row.decode(column: "expires_at", as: String.self))
        guard expiresAt > now else { return nil }
        return Session(csrfToken: try row.decode(column: "csrf_token", as: String.self), expiresAt: expiresAt)
    }

    /// Ends the session a cookie names.
    package func delete(cookie: String) async throws {
        try await storage.database.raw("DELETE FROM dashboard_sessions WHERE id_hash = \(bind: Self.hash(cookie))")
            .run()
    }

    /// 32 random bytes, URL-safe base64.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
