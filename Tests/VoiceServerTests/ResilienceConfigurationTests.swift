import Foundation
import ServerConfiguration
import Testing

@testable import VoiceServer

/// The variables of issue 14's rollover and drain: defaults, and bad values refused at start-up with the variable
/// named.
@Suite struct ResilienceConfigurationTests {
    @Test func theDefaultsRollOverBeforeTheHourAndDrainForFiveMinutes() async throws {
        let configuration = try await VoiceServerConfiguration.load(
            environment: TestValues.environment,
            environmentFile: nil
        )
        #expect(configuration.realtimeSessionMaxDuration == .seconds(3300))
        #expect(configuration.drainDuration == .seconds(300))
        #expect(configuration.drainRedirectURL == nil)
    }

    @Test func setValuesAreTaken() async throws {
        var environment = TestValues.environment
        environment["REALTIME_SESSION_MAX_SECONDS"] = "1200"
        environment["DRAIN_SECONDS"] = "25"
        environment["DRAIN_REDIRECT_URL"] = "https://standby.example-movers.com/voice/incoming"
        let configuration = try await VoiceServerConfiguration.load(environment: environment, environmentFile: nil)
        #expect(configuration.realtimeSessionMaxDuration == .seconds(1200))
        #expect(configuration.drainDuration == .seconds(25))
        #expect(configuration.drainRedirectURL?.host == "standby.example-movers.com")
    }

    @Test(arguments: [
        ("REALTIME_SESSION_MAX_SECONDS", "3600"), ("REALTIME_SESSION_MAX_SECONDS", "0"),
        ("REALTIME_SESSION_MAX_SECONDS", "an hour"), ("DRAIN_SECONDS", "-1"), ("DRAIN_SECONDS", "3601"),
        ("DRAIN_SECONDS", "five"), ("DRAIN_REDIRECT_URL", "standby.example-movers.com"),
        ("DRAIN_REDIRECT_URL", "ftp://standby.example-movers.com/voice"),
    ])
    func badValuesStopStartUpNamingTheVariable(variable: String, value: String) async throws {
        var environment = TestValues.environment
        environment[variable] = value
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await VoiceServerConfiguration.load(environment: environment, environmentFile: nil)
        }
        #expect(error?.variable == variable)
    }
}
