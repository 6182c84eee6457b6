import Foundation
import Logging
import Testing
import VoiceTesting

@testable import VoiceServer

/// Issue 16, part 4: `voice-server check` names what is missing, each by name, and says whether a call could be
/// served.
@Suite(.timeLimit(.minutes(1)))
struct DeploymentCheckTests {
    static func check(_ extra: [String: String]) async throws -> DeploymentCheck {
        var environment = TestValues.environment
        environment["DATABASE_URL"] =
            FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID()).sqlite").path
        environment.merge(extra) { $1 }
        let configuration = try await VoiceServerConfiguration.load(environment: environment, environmentFile: nil)
        return await DeploymentCheck.run(configuration, timeout: .seconds(3), logger: Logger(label: "check-tests"))
    }

    static func line(_ check: DeploymentCheck, _ subject: String) -> DeploymentCheck.Line? {
        check.lines.first { $0.subject.hasPrefix(subject) }
    }

    @Test func aCompleteConfigurationIsReady() async throws {
        let check = try await Self.check([
            "OPENAI_API_KEY": "sk-test", "TWILIO_PHONE_NUMBER": "+15005550006",
        ])
        #expect(check.canServeCalls, "\(check.lines)")
        #expect(Self.line(check, "OPENAI_API_KEY")?.state == .ok)
        #expect(Self.line(check, "PUBLIC_BASE_URL")?.state == .ok)
        #expect(Self.line(check, "DATABASE_URL")?.state == .ok)
        #expect(Self.line(check, "SMS")?.detail.hasPrefix("on") == true)
        // The key itself is never shown.
        #expect(!check.lines.contains { $0.detail.contains("sk-test") })
    }

    @Test func aMissingKeyIsNamedAndFailsTheCheck() async throws {
        let check = try await Self.check([:])
        #expect(!check.canServeCalls)
        #expect(Self.line(check, "OPENAI_API_KEY")?.state == .failing)
        #expect(Self.line(check, "OPENAI_API_KEY")?.detail.contains("missing") == true)
        #expect(Self.line(check, "SMS")?.state == .warning)
    }

    @Test func anUnreachableDatabaseIsNamedAndFailsTheCheck() async throws {
        let check = try await Self.check([
            "OPENAI_API_KEY": "sk-test", "DATABASE_URL": "postgres://voice:secret-pw@127.0.0.1:1/none",
        ])
        #expect(!check.canServeCalls)
        let line = try #require(Self.line(check, "DATABASE_URL"))
        #expect(line.subject == "DATABASE_URL (postgres)")
        #expect(line.state == .failing)
        #expect(line.detail.hasPrefix("unreachable"))
        #expect(!line.detail.contains("secret-pw"))
    }

    @Test func aPublicURLThatIsNotHTTPSIsNamedAndFailsTheCheck() async throws {
        let check = try await Self.check([
            "OPENAI_API_KEY": "sk-test", "PUBLIC_BASE_URL": "http://voice.example-movers.com",
        ])
        #expect(!check.canServeCalls)
        #expect(Self.line(check, "PUBLIC_BASE_URL")?.state == .failing)
        #expect(Self.line(check, "PUBLIC_BASE_URL")?.detail.contains("not https") == true)
    }

    @Test func anUnreachableBookingServerIsNamedAndFailsTheCheck() async throws {
        let check = try await Self.check(["OPENAI_API_KEY": "sk-test", "MCP_SERVER_URL": "http://127.0.0.1:9/mcp"])
        #expect(!check.canServeCalls)
        #expect(Self.line(check, "MCP_SERVER_URL")?.state == .failing)
    }
}
