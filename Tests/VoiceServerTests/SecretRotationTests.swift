import Foundation
import HummingbirdTesting
import Logging
import ServerConfiguration
import Testing
import VoiceTesting

@testable import VoiceServer

/// Secrets from `*_FILE`, re-read on `SIGHUP`: the next call uses the new key, a call in progress keeps its session
/// (issue 13).
extension CallTests {
    /// A file holding `content`, removed after `body`.
    static func withSecretFile<Value>(
        _ content: String,
        _ body: (URL) async throws -> Value
    ) async throws -> Value {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID())")
        try Data(content.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(url)
    }

    @Test func sighupWithANewAPIKeyFileGivesTheNextCallTheNewKeyAndLeavesTheRunningCallAlone() async throws {
        var options = FakeRealtimeServer.Options()
        options.apiKey = "sk-old-key"
        options.otherAPIKeys = ["sk-new-key"]
        options.script = FakeRealtimeScript(
            responses: [.speech("NYC Quick Movers, how can I help?", milliseconds: 400)],
            fallback: .speech("Of course.", milliseconds: 800)
        )
        let logs = LogRecorder()
        try await Self.withSecretFile("sk-old-key\n") { keyFile in
            try await FakeRealtimeServer.run(options: options) { realtime in
                var environment = TestValues.environment
                environment["OPENAI_REALTIME_URL"] = realtime.url.absoluteString
                environment["OPENAI_API_KEY_FILE"] = keyFile.path
                try await withVoiceServer(.live, environment: environment, logs: logs) { client, _ in
                    async let firstCall = Self.caller(client, callSid: "CA" + String(repeating: "a", count: 32)).call([
                        .waitForPlayedAudio(milliseconds: 400), .silence(milliseconds: 1500), .speak(milliseconds: 300),
                        .silence(milliseconds: 600), .waitForPlayedAudio(milliseconds: 1200), .hangUp,
                    ])
                    _ = try await realtime.waitUntil { $0.connections == 1 }

                    // The operator writes the new key and sends SIGHUP, once the server listens for it (before
                    // that, SIGHUP would end this test process, as it ends any process that does not handle it).
                    try Data("sk-new-key\n".utf8).write(to: keyFile)
                    let listening = try await eventually {
                        logs.entries.contains { $0.message.hasPrefix("Listening for SIGHUP") }
                    }
                    try #require(listening)
                    kill(getpid(), SIGHUP)
                    let reloaded = try await eventually {
                        logs.entries.contains {
                            $0.message == "Configuration reloaded" && $0.metadata["changed"] == "OPENAI_API_KEY"
                        }
                    }
                    #expect(reloaded)
                    // The key is never logged.
                    #expect(!logs.entries.contains { $0.line.contains("sk-new-key") || $0.line.contains("sk-old-key") })

                    // The call in progress goes on over the session it opened with the old key.
                    let first = try await firstCall
                    #expect(first.playedMilliseconds >= 1200)
                    #expect(realtime.observations.apiKeys == ["sk-old-key"])

                    // The next call opens its session with the new key.
                    let second = try await Self.caller(client, callSid: "CA" + String(repeating: "b", count: 32))
                        .call([.waitForPlayedAudio(milliseconds: 400), .hangUp])
                    #expect(second.playedMilliseconds >= 400)
                    #expect(realtime.observations.apiKeys == ["sk-old-key", "sk-new-key"])
                    #expect(realtime.observations.refusedConnections == 0)
                }
            }
        }
    }

    @Test func aReloadThatWouldNotStartKeepsTheSecretsInUse() async throws {
        try await Self.withSecretFile("sk-first") { keyFile in
            let configuration = try await VoiceServerConfiguration.load(
                environment: ["OPENAI_API_KEY_FILE": keyFile.path],
                environmentFile: nil
            )
            #expect(configuration.openAIAPIKey?.value == "sk-first")
            let secrets = SecretStore(configuration.secrets)
            let logs = LogRecorder()
            let reloader = SecretReloader(
                secrets: secrets,
                reload: try #require(configuration.reload),
                logger: logs.logger
            )
            try FileManager.default.removeItem(at: keyFile)
            #expect(await reloader.reloadNow() == false)
            #expect(secrets[.openAIAPIKey]?.value == "sk-first")
            #expect(logs.entries.contains { $0.level == .error && $0.line.contains("OPENAI_API_KEY_FILE") })
        }
    }
}
