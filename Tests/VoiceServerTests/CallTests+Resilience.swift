import CallBridge
import CallRecords
import CallRecordsSQL
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import RealtimeAPI
import Testing
import VoiceTesting

@testable import VoiceServer

/// Issue 14: calls that survive the Realtime service's refusals, stalls, drops and time limit, in whole calls over
/// loopback. In the serialized call suite: they run in real time.
extension CallTests {
    /// Retries fast enough for a test, with a short limit on each upgrade.
    static let quickRetries = RealtimeRetryPolicy(
        budget: .seconds(3),
        attemptTimeout: .seconds(1),
        initialDelay: .milliseconds(50),
        maximumDelay: .milliseconds(400)
    )

    @Test func twoRefusedUpgradesAreRetriedAndTheGreetingIsHeard() async throws {
        var options = FakeRealtimeServer.Options()
        options.refusedUpgrades = [.serviceUnavailable, .tooManyRequests]
        let logs = LogRecorder()
        let script = FakeRealtimeScript(responses: [.speech("Thanks for calling NYC Quick Movers.", milliseconds: 600)])
        try await withCallServer(script: script, realtimeOptions: options, logs: logs) { client, _, realtime in
            let report = try await Self.caller(client).call([.waitForPlayedAudio(milliseconds: 600), .hangUp])
            #expect(report.playedMilliseconds >= 600)
            #expect(!report.serverClosedFirst)
            let observed = realtime.observations
            #expect(observed.upgradeAttempts == 3)
            #expect(observed.connections == 1)
        }
        let retries = logs.entries.filter { $0.message == "Realtime connection failed; trying again" }
        #expect(retries.map { $0.metadata["reason"]?.contains("HTTP 503") == true } == [true, false])
        #expect(retries.last?.metadata["reason"]?.contains("HTTP 429") == true)
        #expect(!logs.entries.contains { $0.level >= .error })
    }

    @Test func anUpgradeThatIsNeverAnsweredIsGivenUpAtItsLimitAndTriedAgain() async throws {
        var options = FakeRealtimeServer.Options()
        options.heldUpgradeAttempts = [1]
        options.holdDuration = .seconds(4)
        let logs = LogRecorder()
        let script = FakeRealtimeScript(responses: [.speech("Thanks for calling NYC Quick Movers.", milliseconds: 400)])
        try await withCallServer(
            script: script,
            realtimeOptions: options,
            logs: logs,
            realtimeRetryPolicy: Self.quickRetries
        ) { client, _, realtime in
            let started = ContinuousClock.now
            let report = try await Self.caller(client).call([.waitForPlayedAudio(milliseconds: 400), .hangUp])
            #expect(report.playedMilliseconds >= 400)
            // The held upgrade was abandoned after its 1 s, not after the service's 4 s.
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(realtime.observations.upgradeAttempts == 2)
        }
        let retry = logs.entries.first { $0.message == "Realtime connection failed; trying again" }
        #expect(retry?.metadata["reason"]?.contains("did not answer the upgrade within") == true)
    }

    @Test func aKeyTheServiceRefusesIsNotRetriedAndIsLoggedOnceAtError() async throws {
        let logs = LogRecorder()
        var environment = TestValues.environment
        try await FakeRealtimeServer.run { realtime in
            environment["OPENAI_REALTIME_URL"] = realtime.url.absoluteString
            environment["OPENAI_API_KEY"] = "sk-revoked"
            try await withVoiceServer(.live, environment: environment, logs: logs) { [environment] client, server in
                _ = environment
                let report = try await Self.caller(client).call([.silence(milliseconds: 3000), .hangUp])
                #expect(report.serverClosedFirst)
                #expect(report.receivedMedia.isEmpty)
                // The record says it failed, and why.
                var record: CallRecord?
                _ = try await eventually {
                    record = try await server.callRecords.callRecord(callSid: Self.callSid)
                    return record?.outcome != nil
                }
                #expect(record?.outcome == .failed)
                #expect(record?.failureReason?.contains("HTTP 401") == true)
            }
            #expect(realtime.observations.upgradeAttempts == 1)
        }
        let errors = logs.entries.filter { $0.level >= .error }
        #expect(errors.count == 1)
        #expect(errors.first?.metadata["reason"]?.contains("HTTP 401") == true)
        // The key is never logged.
        #expect(!logs.entries.contains { "\($0.message) \($0.metadata)".contains("sk-revoked") })
    }

    /// The script for a call that goes on across sessions: one conversation, whichever session says each line.
    static let conversation = FakeRealtimeScript(
        responses: [
            .speech("Thanks for calling NYC Quick Movers.", milliseconds: 600),
            .speech("Friday works for us.", milliseconds: 600),
            .speech("It will be nine hundred dollars.", milliseconds: 600),
        ],
        callerTranscripts: ["I am moving on Friday.", "How much will it cost?"]
    )

    @Test func aDroppedSessionIsReplacedWithinASecondAndTheConversationGoesOn() async throws {
        var options = FakeRealtimeServer.Options()
        options.continuesScriptAcrossSessions = true
        let metrics = ServerMetrics()
        try await withCallServer(script: Self.conversation, realtimeOptions: options, metrics: metrics) {
            client,
            server,
            realtime in
            let caller = try Self.caller(client)
            async let call = caller.call([
                .waitForPlayedAudio(milliseconds: 600), .speak(milliseconds: 300), .silence(milliseconds: 700),
                .waitForPlayedAudio(milliseconds: 1200), .silence(milliseconds: 2000), .speak(milliseconds: 300),
                .silence(milliseconds: 700), .waitForPlayedAudio(milliseconds: 1800), .hangUp,
            ])
            // The second answer was sent whole and has played: the session drops while the caller is quiet.
            let answered = try await realtime.waitUntil { observed in
                observed.assistantItems.count == 2 && observed.sentDeltas[observed.assistantItems[1]]?.count == 6
            }
            _ = answered
            try await Task.sleep(for: .milliseconds(900))
            let dropped = ContinuousClock.now
            await realtime.dropConnections()
            let restored = try await realtime.waitUntil(timeout: .seconds(1)) { observed in
                observed.sessions.count == 2 && observed.sessions[1].items.count == 4
            }
            #expect(ContinuousClock.now - dropped < .seconds(1))
            let report = try await call

            let second = restored.sessions[1]
            // Configured, then given the conversation, before anything else.
            #expect(
                Array(second.eventTypes.prefix(5)) == ["session.update"]
                    + Array(repeating: "conversation.item.create", count: 4)
            )
            let texts = second.items.map { item in
                "\(item["role"]?.stringValue ?? "?"):\(item["content"]?.arrayValue?.first?["text"]?.stringValue ?? "")"
            }
            #expect(
                texts == [
                    "assistant:Thanks for calling NYC Quick Movers.", "user:I am moving on Friday.",
                    "assistant:Friday works for us.", "system:\(CallStateMachine.continuationNote)",
                ]
            )
            let observed = realtime.observations
            #expect(observed.violations.isEmpty, "\(observed.violations)")
            // No second greeting: the only response asked for is the first session's greeting.
            #expect(observed.responseCreates.count == 1)
            // The caller kept hearing answers: the third line came from the new session.
            #expect(report.playedMilliseconds >= 1800)
            let third = try #require(observed.assistantItems.last)
            #expect(third.hasPrefix("item_2_"))
            #expect(report.receivedMedia.contains(observed.sentDeltas[third]?.first ?? "-"))
            #expect(!report.serverClosedFirst)

            _ = try await Self.waitForIdle(client, realtime)
            let scrape = String(decoding: metrics.scrape(), as: UTF8.self)
            #expect(Self.sample(#"voice_realtime_reconnects_total{reason="dropped"}"#, in: scrape) == 1)
            let record = try await eventually {
                try await server.callRecords.callRecord(callSid: Self.callSid)?.outcome != nil
            }
            #expect(record)
            #expect(try await server.callRecords.callRecord(callSid: Self.callSid)?.sessionReplacements == ["dropped"])
        }
    }

    @Test func aToolRunningWhenTheSessionDropsKeepsRunningAndItsResultIsSpokenByTheNewSession() async throws {
        let running = FakeRecorder(false)
        let tools = InMemoryToolProvider([
            (
                ToolDefinition(
                    name: "get_quote",
                    description: "The price of a move.",
                    parameters: ["type": "object", "properties": [:]],
                    hasSideEffects: false
                ),
                { @Sendable _ in
                    running.withLock { $0 = true }
                    try await Task.sleep(for: .milliseconds(1500))
                    return #"{"price":"$900"}"#
                }
            )
        ])
        var options = FakeRealtimeServer.Options()
        options.continuesScriptAcrossSessions = true
        let script = FakeRealtimeScript(
            responses: [
                .speech("Thanks for calling NYC Quick Movers.", milliseconds: 400),
                .functionCalls([ScriptedFunctionCall(name: "get_quote", arguments: "{}")]),
                .speech("It will be nine hundred dollars.", milliseconds: 600),
            ],
            callerTranscripts: ["How much is a move?"]
        )
        try await withCallServer(script: script, realtimeOptions: options, tools: tools) { client, _, realtime in
            async let call = Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 400), .speak(milliseconds: 300), .silence(milliseconds: 700),
                .waitForPlayedAudio(milliseconds: 1000, timeout: .seconds(8)), .hangUp,
            ])
            _ = try await realtime.waitUntil { _ in running.value }
            await realtime.dropConnections()
            let report = try await call
            let observed = realtime.observations
            #expect(observed.violations.isEmpty, "\(observed.violations)")
            let second = try #require(observed.sessions.dropFirst().first)
            // The call the new session never saw arrives with its output, then the answer is asked for.
            let types = second.items.compactMap { $0["type"]?.stringValue }
            #expect(types.suffix(2) == ["function_call", "function_call_output"])
            #expect(second.eventTypes.last(where: { $0 != "conversation.item.create" }) == "response.create")
            #expect(report.playedMilliseconds >= 1000)
            #expect(report.receivedMedia.contains(observed.sentDeltas[observed.assistantItems.last!]?.first ?? "-"))
        }
    }

    @Test func aCallThatLosesItsSessionTooOftenEndsWithTheApology() async throws {
        var options = FakeRealtimeServer.Options()
        options.continuesScriptAcrossSessions = true
        let script = FakeRealtimeScript(responses: [
            .speech("Thanks for calling NYC Quick Movers.", milliseconds: 400),
            .disconnect, .disconnect, .disconnect, .disconnect,
        ])
        let logs = LogRecorder()
        try await withCallServer(script: script, realtimeOptions: options, logs: logs) { client, _, realtime in
            let report = try await Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 400), .speak(milliseconds: 300), .silence(milliseconds: 5000),
                .hangUp,
            ])
            #expect(report.serverClosedFirst)
            // The first session and three replacements; the fourth loss ends the call.
            #expect(realtime.observations.connections == 4)
        }
        #expect(logs.entries.filter { $0.message.hasPrefix("Realtime session lost") }.count == 3)
        let failure = logs.entries.first { $0.level == .error }
        #expect(failure?.metadata["reason"]?.contains("3 sessions lost") == true)
    }

    @Test func anExpiredSessionIsReplacedAndCountedAsExpired() async throws {
        var options = FakeRealtimeServer.Options()
        options.continuesScriptAcrossSessions = true
        let metrics = ServerMetrics()
        try await withCallServer(script: Self.conversation, realtimeOptions: options, metrics: metrics) {
            client,
            _,
            realtime in
            async let call = Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 600), .silence(milliseconds: 1500), .speak(milliseconds: 300),
                .silence(milliseconds: 700), .waitForPlayedAudio(milliseconds: 1200), .hangUp,
            ])
            _ = try await realtime.waitUntil { $0.assistantItems.count == 1 && $0.sentDeltas.values.first?.count == 6 }
            await realtime.expireSessions()
            let report = try await call
            #expect(realtime.observations.connections == 2)
            #expect(report.playedMilliseconds >= 1200)
            _ = try await Self.waitForIdle(client, realtime)
            let scrape = String(decoding: metrics.scrape(), as: UTF8.self)
            #expect(Self.sample(#"voice_realtime_reconnects_total{reason="session_expired"}"#, in: scrape) == 1)
        }
    }

    @Test func aSessionIsRolledOverAtATurnBoundaryWithoutAGapOrASecondGreeting() async throws {
        var options = FakeRealtimeServer.Options()
        options.continuesScriptAcrossSessions = true
        let script = FakeRealtimeScript(
            responses: [
                .speech("Thanks for calling NYC Quick Movers, how can I help you today?", milliseconds: 2500),
                .speech("Friday works for us.", milliseconds: 600),
            ],
            callerTranscripts: ["I am moving on Friday."]
        )
        var environment = TestValues.environment
        environment["REALTIME_SESSION_MAX_SECONDS"] = "1"
        let logs = LogRecorder()
        try await withCallServer(script: script, realtimeOptions: options, environment: environment, logs: logs) {
            client,
            _,
            realtime in
            let report = try await Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 2500), .silence(milliseconds: 1500), .speak(milliseconds: 300),
                .silence(milliseconds: 700), .waitForPlayedAudio(milliseconds: 3100), .hangUp,
            ])
            let observed = realtime.observations
            #expect(observed.violations.isEmpty, "\(observed.violations)")
            #expect(observed.connections >= 2)
            // Not in the middle of the greeting: the greeting played without a gap over 200 ms.
            let greeting = report.playbackTimeline.prefix(2500 / 20)
            let gaps = zip(greeting, greeting.dropFirst()).map { $1.at - $0.at }
            #expect(gaps.allSatisfy { $0 < .milliseconds(200) }, "\(gaps.max() ?? .zero)")
            // The new session was configured and restored before it got the caller's audio, and asked for nothing.
            let second = observed.sessions[1]
            #expect(second.eventTypes.first == "session.update")
            #expect(
                second.items.first?["content"]?.arrayValue?.first?["text"]?.stringValue?.hasPrefix("Thanks") == true
            )
            #expect(!second.eventTypes.contains("response.create"))
            #expect(observed.responseCreates.count == 1)
            // The answer after the rollover came from the new session and was heard.
            let answer = try #require(observed.assistantItems.last)
            #expect(!answer.hasPrefix("item_1_"))
            #expect(report.receivedMedia.contains(observed.sentDeltas[answer]?.first ?? "-"))
        }
        #expect(logs.entries.contains { $0.message == "Realtime session rolled over" })
    }

    @Test func aSessionThatSaysWhenItExpiresIsRolledOverBeforeThen() async throws {
        var options = FakeRealtimeServer.Options()
        options.continuesScriptAcrossSessions = true
        // The service says the session ends 3 s after it opened; REALTIME_SESSION_MAX_SECONDS is the default 3300.
        options.expiresAfter = .seconds(3)
        let script = FakeRealtimeScript(responses: [.speech("Thanks for calling NYC Quick Movers.", milliseconds: 400)])
        let logs = LogRecorder()
        try await withCallServer(script: script, realtimeOptions: options, logs: logs) { client, _, realtime in
            let report = try await Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 400), .silence(milliseconds: 2500), .hangUp,
            ])
            #expect(!report.serverClosedFirst)
            #expect(realtime.observations.connections >= 2)
            #expect(realtime.observations.responseCreates.count == 1)
        }
        #expect(logs.entries.contains { $0.message == "Realtime session rolled over" })
    }

    /// Found by `bench --drop-sessions`: the first session's 5 s configuration check came due while its replacement
    /// was still connecting, and ended the call.
    @Test func theFirstSessionsCheckDoesNotEndACallWhoseReplacementIsStillConnecting() async throws {
        var options = FakeRealtimeServer.Options()
        options.continuesScriptAcrossSessions = true
        // The replacement's first upgrade hangs past the moment the first session's check comes due.
        options.heldUpgradeAttempts = [2]
        options.holdDuration = .seconds(3)
        let script = FakeRealtimeScript(responses: [.speech("Thanks for calling NYC Quick Movers.", milliseconds: 400)])
        let logs = LogRecorder()
        try await withCallServer(
            script: script,
            realtimeOptions: options,
            logs: logs,
            realtimeRetryPolicy: Self.quickRetries
        ) { client, _, realtime in
            async let call = Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 400), .silence(milliseconds: 5500), .hangUp,
            ])
            _ = try await realtime.waitUntil { $0.sessions.first?.eventTypes.contains("session.update") == true }
            let opened = ContinuousClock.now
            try await Task.sleep(until: opened + .milliseconds(4500))
            await realtime.dropConnections()
            let report = try await call
            #expect(!report.serverClosedFirst)
            #expect(realtime.observations.upgradeAttempts == 3)
            #expect(realtime.observations.connections == 2)
        }
        #expect(!logs.entries.contains { $0.level >= .error }, "\(logs.entries.filter { $0.level >= .error })")
    }
}
