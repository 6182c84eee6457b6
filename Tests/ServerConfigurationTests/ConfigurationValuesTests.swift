import Foundation
import Logging
import ServerConfiguration
import Testing

/// The readers both servers share: each bad value names its variable, and secrets never show.
struct ConfigurationValuesTests {
    static func values(_ environment: [String: String]) async throws -> ConfigurationValues {
        try await ConfigurationValues.load(environment: environment, environmentFile: nil)
    }

    @Test func unsetAndBlankValuesGiveTheDefaults() async throws {
        let values = try await Self.values(["LOG_LEVEL": "  ", "APP_ENV": ""])
        #expect(try values.appEnvironment() == .development)
        #expect(try values.logLevel() == .info)
        #expect(try values.database() == .sqlite(path: "./data/bookings.sqlite"))
        #expect(try values.businessTimeZone().identifier == "America/New_York")
        #expect(try values.twilioAccount() == TwilioAccount())
        #expect(try values.publicBaseURL() == nil)
    }

    @Test func theDatabaseIsAFilePathOrAPostgresURL() throws {
        #expect(try DatabaseLocation(parsing: "/var/lib/voice/b.sqlite") == .sqlite(path: "/var/lib/voice/b.sqlite"))
        #expect(try DatabaseLocation(parsing: "sqlite://data/b.sqlite") == .sqlite(path: "data/b.sqlite"))
        let postgres = try DatabaseLocation(parsing: "postgresql://u:secret@db:5432/voice")
        #expect(postgres.kind == "postgres")
        #expect(!"\(postgres)".contains("secret"))
        #expect(
            throws: ConfigurationError(
                variable: "DATABASE_URL",
                problem: "must be a SQLite file path or a postgres:// URL"
            )
        ) {
            try DatabaseLocation(parsing: "mysql://db/voice")
        }
    }

    @Test func badValuesNameTheirVariable() async throws {
        let values = try await Self.values([
            "APP_ENV": "staging", "LOG_LEVEL": "loud", "BUSINESS_TIMEZONE": "Mars/Olympus",
            "TWILIO_ACCOUNT_SID": "AC123", "PUBLIC_BASE_URL": "https://example.com/path",
        ])
        #expect(throws: ConfigurationError.self) { try values.appEnvironment() }
        #expect((try? values.appEnvironment()) == nil)
        for (variable, read) in [
            ("APP_ENV", { _ = try values.appEnvironment() }), ("LOG_LEVEL", { _ = try values.logLevel() }),
            ("BUSINESS_TIMEZONE", { _ = try values.businessTimeZone() }),
            ("TWILIO_ACCOUNT_SID", { _ = try values.twilioAccount() }),
            ("PUBLIC_BASE_URL", { _ = try values.publicBaseURL() }),
        ] as [(String, () throws -> Void)] {
            do {
                try read()
                Issue.record("\(variable) was accepted")
            } catch let error as ConfigurationError {
                #expect(error.variable == variable)
            }
        }
    }

    @Test func aTwilioAccountIsReadWhole() async throws {
        let values = try await Self.values([
            "TWILIO_ACCOUNT_SID": "AC" + String(repeating: "a", count: 32), "TWILIO_AUTH_TOKEN": "token-value",
            "TWILIO_PHONE_NUMBER": "+15005550006", "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
        ])
        let account = try values.twilioAccount()
        #expect(account.canSendTexts)
        #expect(account.authToken?.value == "token-value")
        #expect("\(account.authToken!)" == "********")
        #expect(account.apiBaseURL.absoluteString == "http://127.0.0.1:9")
        let badNumber = try await Self.values(["TWILIO_PHONE_NUMBER": "5550006"])
        #expect(throws: ConfigurationError.self) { try badNumber.twilioAccount() }
    }

    @Test func everySecretCanComeFromAFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let token = directory.appendingPathComponent("twilio_auth_token")
        try Data("f00dfeedf00dfeedf00dfeedf00dfeed\n".utf8).write(to: token)
        let values = try await Self.values(["TWILIO_AUTH_TOKEN_FILE": token.path])
        #expect(try values.twilioAccount().authToken?.value == "f00dfeedf00dfeedf00dfeedf00dfeed")
        #expect(ConfigurationVariable.allCases.filter(\.isSecret).count >= 6)

        // Both at once, a missing file and an empty one are refused, naming the variable but not the value.
        let both = await #expect(throws: ConfigurationError.self) {
            _ = try await Self.values(["TWILIO_AUTH_TOKEN": "inline-secret", "TWILIO_AUTH_TOKEN_FILE": token.path])
        }
        #expect(both?.variable == "TWILIO_AUTH_TOKEN_FILE")
        #expect(!"\(both.map { "\($0)" } ?? "")".contains("inline-secret"))
        let missing = await #expect(throws: ConfigurationError.self) {
            _ = try await Self.values(["OPENAI_API_KEY_FILE": directory.appendingPathComponent("none").path])
        }
        #expect(missing?.variable == "OPENAI_API_KEY_FILE")
        let empty = directory.appendingPathComponent("empty")
        try Data("\n".utf8).write(to: empty)
        await #expect(throws: ConfigurationError.self) { _ = try await Self.values(["ADMIN_TOKEN_FILE": empty.path]) }
    }
}
