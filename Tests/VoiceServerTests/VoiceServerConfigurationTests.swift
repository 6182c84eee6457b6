import Booking
import BookingServer
import Foundation
import Logging
import ServerConfiguration
import Testing

@testable import VoiceServer

@Suite struct VoiceServerConfigurationTests {
    func load(_ environment: [String: String]) async throws -> VoiceServerConfiguration {
        try await VoiceServerConfiguration.load(environment: environment, environmentFile: nil)
    }

    @Test func anEmptyEnvironmentGivesWorkingDefaults() async throws {
        let configuration = try await load([:])
        #expect(configuration.booking.environment == .development)
        #expect(configuration.port == 8080)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.booking.publicBaseURL == nil)
        #expect(configuration.booking.twilio.authToken == nil)
        #expect(configuration.openAIRealtimeURL.absoluteString == "wss://api.openai.com/v1/realtime")
        #expect(configuration.openAIModel == "gpt-realtime-2.1")
        #expect(configuration.openAIVoice == "marin")
        #expect(configuration.booking.twilio.apiBaseURL.absoluteString == "https://api.twilio.com")
        #expect(configuration.booking.database == .sqlite(path: "./data/bookings.sqlite"))
        #expect(configuration.booking.businessName == "NYC Quick Movers")
        #expect(configuration.booking.businessTimeZone.identifier == "America/New_York")
        #expect(configuration.booking.logLevel == .info)
    }

    @Test func everyVariableIsRead() async throws {
        let configuration = try await load([
            "APP_ENV": "production",
            "HOST": "127.0.0.1",
            "PORT": "9090",
            "PUBLIC_BASE_URL": "https://abc.ngrok.app/",
            "LOG_LEVEL": "DEBUG",
            "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
            "TWILIO_AUTH_TOKEN": "token",
            "TWILIO_PHONE_NUMBER": "+15005550006",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9999",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_REALTIME_URL": "ws://127.0.0.1:9998/v1/realtime",
            "OPENAI_MODEL": "gpt-realtime-2.1-mini",
            "OPENAI_VOICE": "cedar",
            "MCP_SERVER_URL": "http://127.0.0.1:9997/mcp",
            "MCP_SERVER_TOKEN": "mcp-token",
            "DATABASE_URL": "postgres://voice:pw@127.0.0.1:5432/voice",
            "TRANSFER_NUMBER": "+14155550100",
            "BUSINESS_NAME": "Brooklyn Box Co",
            "BUSINESS_TIMEZONE": "America/Los_Angeles",
            "BOOKING_HORIZON_DAYS": "90",
        ])
        #expect(configuration.booking.environment == .production)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 9090)
        #expect(configuration.booking.publicBaseURL?.origin == "https://abc.ngrok.app")
        #expect(configuration.booking.logLevel == .debug)
        #expect(configuration.booking.twilio.accountSID == "AC0123456789abcdef0123456789abcdef")
        #expect(configuration.booking.twilio.authToken?.value == "token")
        #expect(configuration.booking.twilio.phoneNumber == "+15005550006")
        #expect(configuration.booking.twilio.apiBaseURL.absoluteString == "http://127.0.0.1:9999")
        #expect(configuration.openAIAPIKey?.value == "sk-test")
        #expect(configuration.openAIRealtimeURL.absoluteString == "ws://127.0.0.1:9998/v1/realtime")
        #expect(configuration.openAIModel == "gpt-realtime-2.1-mini")
        #expect(configuration.openAIVoice == "cedar")
        #expect(configuration.mcpServerURL?.absoluteString == "http://127.0.0.1:9997/mcp")
        #expect(configuration.booking.mcpServerToken?.value == "mcp-token")
        #expect(configuration.booking.database == .postgres(url: Secret("postgres://voice:pw@127.0.0.1:5432/voice")))
        #expect(configuration.transferNumber == "+14155550100")
        #expect(configuration.booking.businessName == "Brooklyn Box Co")
        #expect(configuration.booking.businessTimeZone.identifier == "America/Los_Angeles")
        #expect(configuration.booking.policy.horizonDays == 90)
        #expect(configuration.booking.policy.timeZone.identifier == "America/Los_Angeles")
        #expect(configuration.startupWarnings.isEmpty)
    }

    @Test(arguments: [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("PORT", "-1"),
        ("ADMIN_PORT", "abc"),
        ("ADMIN_PORT", "65536"),
        ("PUBLIC_BASE_URL", "not a url"),
        ("PUBLIC_BASE_URL", "voice.example.com"),
        ("PUBLIC_BASE_URL", "ftp://voice.example.com"),
        ("PUBLIC_BASE_URL", "https://voice.example.com/twilio"),
        ("OPENAI_REALTIME_URL", "https://api.openai.com/v1/realtime"),
        ("OPENAI_REALTIME_URL", "wss://"),
        ("TWILIO_API_BASE_URL", "api.twilio.com"),
        ("MCP_SERVER_URL", "localhost:9000"),
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("LOG_LEVEL", "loud"),
        ("APP_ENV", "staging"),
        ("TWILIO_ACCOUNT_SID", "SK0123456789abcdef0123456789abcdef"),
        ("TWILIO_PHONE_NUMBER", "415-555-2671"),
        ("TRANSFER_NUMBER", "+1 415 555 0100"),
        ("BUSINESS_TIMEZONE", "Mars/Olympus_Mons"),
        ("TOOL_TIMEOUT_SECONDS", "0"),
        ("BOOKING_HORIZON_DAYS", "forever"),
        ("BOOKING_POLICY_FILE", "/nonexistent/policy.json"),
    ])
    func aBadValueNamesItsVariable(variable: String, value: String) async throws {
        await #expect {
            try await load([variable: value])
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == variable && error.description.hasPrefix(variable + ":")
        }
    }

    @Test func secretsAreNeverPrinted() async throws {
        await #expect {
            try await load(["DATABASE_URL": "mysql://root:hunter2@localhost/db"])
        } throws: { error in
            !"\(error)".contains("hunter2")
        }
        let configuration = try await load(["TWILIO_AUTH_TOKEN": "hunter2", "OPENAI_API_KEY": "sk-hunter2"])
        #expect(!"\(configuration)".contains("hunter2"))
        #expect("\(configuration.booking.twilio.authToken!)" == "********")
    }

    @Test func productionRefusesToStartWithoutTheAuthToken() async throws {
        await #expect(throws: ConfigurationError.self) {
            try await load(["APP_ENV": "production"])
        }
        let configuration = try await load(["APP_ENV": "production", "TWILIO_AUTH_TOKEN": "t"])
        #expect(configuration.booking.environment == .production)
    }

    @Test func aSecondaryAuthTokenNeedsThePrimaryAndIsNeverPrinted() async throws {
        await #expect {
            try await load(["TWILIO_AUTH_TOKEN_SECONDARY": "hunter3"])
        } throws: { error in
            (error as? ConfigurationError)?.variable == "TWILIO_AUTH_TOKEN_SECONDARY" && !"\(error)".contains("hunter3")
        }
        let configuration = try await load(["TWILIO_AUTH_TOKEN": "hunter2", "TWILIO_AUTH_TOKEN_SECONDARY": "hunter3"])
        #expect(configuration.booking.twilio.secondaryAuthToken?.value == "hunter3")
        #expect(!"\(configuration)".contains("hunter3"))
    }

    @Test func developmentWithoutTheTokenWarnsThatSignaturesAreNotChecked() async throws {
        let warnings = try await load([:]).startupWarnings
        #expect(warnings.contains { $0.contains("TWILIO_AUTH_TOKEN") && $0.contains("NOT checked") })
        #expect(warnings.contains { $0.contains("OPENAI_API_KEY") })
    }

    @Test func blankValuesCountAsUnset() async throws {
        let configuration = try await load(["PORT": "  ", "PUBLIC_BASE_URL": "", "TWILIO_AUTH_TOKEN": ""])
        #expect(configuration.port == 8080)
        #expect(configuration.booking.publicBaseURL == nil)
        #expect(configuration.booking.twilio.authToken == nil)
    }

    @Test func theDotEnvFileIsReadAndTheEnvironmentWins() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("voice-server-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(".env")
        try "# comment\nPORT=9001\nBUSINESS_NAME=Dot Env Movers\nLOG_LEVEL=debug\n".write(
            to: file,
            atomically: true,
            encoding: .utf8
        )

        let configuration = try await VoiceServerConfiguration.load(
            environment: ["PORT": "9002"],
            environmentFile: file.path
        )
        #expect(configuration.port == 9002)
        #expect(configuration.booking.businessName == "Dot Env Movers")
        #expect(configuration.booking.logLevel == .debug)

        let missing = try await VoiceServerConfiguration.load(
            environment: [:],
            environmentFile: directory.appendingPathComponent("absent.env").path
        )
        #expect(missing.port == 8080)

        try "PORT=abc\n".write(to: file, atomically: true, encoding: .utf8)
        await #expect(
            throws: ConfigurationError(variable: "PORT", problem: "must be a whole number from 0 to 65535, not \"abc\"")
        ) {
            try await VoiceServerConfiguration.load(environment: [:], environmentFile: file.path)
        }
    }

    /// `.env.example` is the reference a newcomer copies: it must name every variable the server reads.
    @Test func theExampleFileDocumentsEveryVariable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let example = try String(contentsOf: root.appendingPathComponent(".env.example"), encoding: .utf8)
        let documented = Set(
            example.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap {
                $0.split(separator: "=", maxSplits: 1).first.map(String.init)
            }
        )
        #expect(documented == Set(ConfigurationVariable.allCases.map(\.name)))
        // And the example itself loads.
        for line in example.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.contains("="))
        }
    }
}
