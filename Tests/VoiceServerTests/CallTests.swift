import CallBridge
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import NIOWebSocket
import RealtimeAPI
import Synchronization
import Testing
import TwilioMedia
import VoiceTesting

@testable import VoiceServer

/// Whole calls over real loopback sockets: the simulated Twilio caller, the real server, the fake Realtime service.
/// One call at a time: they run in real time, and ten at once on two cores would starve the simulated caller's clock.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CallTests {
    static func caller(
        _ client: any TestClientProtocol,
        callSid: String = "CA" + String(repeating: "1", count: 32),
        from: String = TestValues.callerNumber,
        stirVerstat: String? = nil
    )
        throws -> SimulatedCaller
    {
        var configuration = SimulatedCaller.Configuration(
            serverURL: "http://127.0.0.1:\(try #require(client.port))",
            publicBaseURL: TestValues.publicBaseURL,
            authToken: TestValues.authToken
        )
        configuration.callSid = callSid
        configuration.from = from
        configuration.stirVerstat = stirVerstat
        configuration.streamSid = "MZ" + callSid.dropFirst(2)
        return SimulatedCaller(configuration: configuration)
    }

    static func waitForIdle(
        _ client: any TestClientProtocol,
        _ realtime: FakeRealtimeServer
    ) async throws
        -> HealthController.Report
    {
        _ = try await realtime.waitUntil { $0.activeConnections == 0 }
        var report = try await health(client)
        for _ in 0..<200 where report.activeCalls != 0 || report.activeRealtimeSessions != 0 {
            try await Task.sleep(for: .milliseconds(10))
            report = try await health(client)
        }
        return report
    }

    static func health(_ client: any TestClientProtocol) async throws -> HealthController.Report {
        try await client.execute(uri: "/health", method: .get) { response in
            try JSONDecoder().decode(HealthController.Report.self, from: Data(String(buffer: response.body).utf8))
        }
    }

    @Test func theGreetingIsHeardBeforeTheCallerSpeaksAndRelayedUntouched() async throws {
        let script = FakeRealtimeScript(responses: [.speech("Thanks for calling NYC Quick Movers.", milliseconds: 800)])
        let logs = LogRecorder()
        try await withCallServer(script: script, logs: logs) { client, _, realtime in
            let report = try await Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 800), .speak(milliseconds: 300), .silence(milliseconds: 700),
                .waitForQuiet(milliseconds: 200), .hangUp,
            ])
            let heard = try #require(report.firstAudioPlayedAt)
            let spoke = try #require(report.firstSpeechSentAt)
            #expect(heard < spoke)

            let observed = realtime.observations
            #expect(observed.violations.isEmpty, "client events not in GA shape: \(observed.violations)")
            #expect(observed.models == ["gpt-realtime-2.1"])
            #expect(observed.clientEventTypes.first == "session.update")
            #expect(observed.sessionUpdates.count == 1)
            let session = try #require(observed.sessionUpdates.first)
            #expect(session["audio"]?["input"]?["format"]?["type"] == "audio/pcmu")
            #expect(session["audio"]?["output"]?["format"]?["type"] == "audio/pcmu")
            #expect(session["audio"]?["output"]?["voice"] == "marin")
            #expect(session["audio"]?["input"]?["turn_detection"]?["interrupt_response"] == true)
            #expect(session["audio"]?["input"]?["transcription"]?["model"] != nil)
            #expect(session["output_modalities"] == ["audio"])
            let instructions = try #require(session["instructions"]?.stringValue)
            #expect(instructions.contains("NYC Quick Movers"))
            #expect(instructions.contains(TestValues.callerNumber))
            // The greeting is asked for once, right after the session is configured.
            #expect(observed.responseCreates.count == 1)
            #expect(
                observed.responseCreates.first?["response"]?["instructions"]?.stringValue?.contains("Greet") == true
            )

            // Payloads pass through untouched and in order, each followed by a mark Twilio echoes.
            let sent = observed.assistantItems.flatMap { observed.sentDeltas[$0] ?? [] }
            let greeting = try #require(observed.assistantItems.first)
            // What reached the caller is what the service sent, in order; at hang-up a later answer may be cut short.
            let untouched = sent.starts(with: report.receivedMedia)
            #expect(untouched, "received \(report.receivedMedia.count) payloads, sent \(sent.count)")
            let greetingDeltas = observed.sentDeltas[greeting] ?? []
            #expect(greetingDeltas.count == 8)
            #expect(report.receivedMedia.starts(with: greetingDeltas))
            #expect(report.marksEchoed.count >= greetingDeltas.count)
            #expect(report.marksEchoed.count <= report.receivedMedia.count)
            #expect(report.violations.isEmpty, "messages Twilio would refuse: \(report.violations)")

            // Relay latency, from the service sending a delta to the caller receiving it as media.
            let latencies = report.receivedMedia.compactMap { payload -> Duration? in
                guard let sentAt = observed.deltaSentAt[payload], let receivedAt = report.mediaReceivedAt[payload]
                else {
                    return nil
                }
                return receivedAt - sentAt
            }.sorted()
            // Every payload was relayed. How fast is for the benchmark to say: the figure varies with machine load.
            #expect(latencies.count == report.receivedMedia.count)
            if let slowest = latencies.last {
                print(
                    "relay latency, Realtime delta to Twilio media: median \(latencies[latencies.count / 2]), max \(slowest)"
                )
            }
            #expect(observed.audioReceivedBytes >= 1000 * MuLaw.bytesPerMillisecond)
            #expect(report.closeCode == .normalClosure)
            // Once the session was open, the caller's frames went straight from socket to socket.
            let stopped = try #require(logs.entries.first { $0.message == "Media stream stopped" })
            let direct = try #require(stopped.metadata["direct_frames"].flatMap { Int($0) })
            let frames = try #require(stopped.metadata["media_frames"].flatMap { Int($0) })
            #expect(direct > 0)
            #expect(direct <= frames)
            // Every frame reached the service, kept ones and direct ones alike (the last few may meet the hang-up).
            #expect(observed.audioReceivedBytes <= frames * MuLaw.frameBytes)
            #expect(observed.audioReceivedBytes >= (frames - 5) * MuLaw.frameBytes)

            let idle = try await Self.waitForIdle(client, realtime)
            #expect(idle.activeCalls == 0)
            #expect(idle.activeRealtimeSessions == 0)
        }
    }

    @Test func aToolCallIsAnsweredAndFollowedByExactlyOneResponseCreate() async throws {
        let calls = FakeRecorder<[ToolCall]>([])
        let tools = InMemoryToolProvider([
            (
                ToolDefinition(
                    name: "check_availability",
                    description: "Free move slots for a date.",
                    parameters: ["type": "object", "properties": ["date": ["type": "string"]], "required": ["date"]],
                    hasSideEffects: false
                ),
                { @Sendable call in
                    calls.withLock { $0.append(call) }
                    return #"{"date":"2026-11-26","weekday":"Thursday","windows":["morning"]}"#
                }
            )
        ])
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 300),
                .functionCalls([ScriptedFunctionCall(name: "check_availability", arguments: #"{"date":"tomorrow"}"#)]),
                .speech("Thursday morning is free.", milliseconds: 300),
            ],
            callerTranscripts: ["Do you have anything tomorrow?"]
        )
        try await withCallServer(script: script, tools: tools) { client, _, realtime in
            let report = try await Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 300), .speak(milliseconds: 400), .silence(milliseconds: 600),
                .waitForPlayedAudio(milliseconds: 600), .waitForQuiet(milliseconds: 100), .hangUp,
            ])
            let observed = realtime.observations
            #expect(observed.violations.isEmpty, "\(observed.violations)")
            let (callID, scripted) = try #require(observed.functionCalls.first)
            #expect(scripted.name == "check_availability")
            #expect(
                observed.functionOutputs == [
                    .init(callID: callID, output: #"{"date":"2026-11-26","weekday":"Thursday","windows":["morning"]}"#)
                ]
            )
            // The greeting, then one follow-up for the tool's response: the caller's turn was started by VAD.
            #expect(observed.responseCreates.count == 2)
            #expect(observed.responseCreates.last?["response"] == nil)
            #expect(observed.activeResponseConflicts == 0)
            let creates = observed.clientEventTypes.enumerated().filter { $0.element == "response.create" }.map(
                \.offset
            )
            let output = try #require(observed.clientEventTypes.firstIndex(of: "conversation.item.create"))
            #expect(creates.last! > output)

            let call = try #require(calls.value.first)
            #expect(call.arguments == #"{"date":"tomorrow"}"#)
            #expect(call.callID == callID)
            #expect(call.callSid == "CA" + String(repeating: "1", count: 32))
            #expect(call.callerNumber == TestValues.callerNumber)
            // The answer after the tool was heard.
            #expect(report.playedMilliseconds >= 600)
        }
    }

    @Test func aToolThatFailsOrHangsStillGetsAnAnswerTheModelCanSpeak() async throws {
        let tools = InMemoryToolProvider([
            (
                ToolDefinition(
                    name: "create_booking",
                    description: "Book.",
                    parameters: ["type": "object"],
                    hasSideEffects: true
                ),
                { @Sendable _ in throw ToolError("That slot was just taken.") }
            ),
            (
                ToolDefinition(
                    name: "get_job_details",
                    description: "Look up.",
                    parameters: ["type": "object"],
                    hasSideEffects: false
                ),
                { @Sendable _ in
                    try await Task.sleep(for: .seconds(30))
                    return "{}"
                }
            ),
        ])
        let script = FakeRealtimeScript(responses: [
            .speech("Hello.", milliseconds: 200),
            .functionCalls([
                ScriptedFunctionCall(name: "create_booking", arguments: "{}"),
                ScriptedFunctionCall(name: "get_job_details", arguments: "{}"),
            ]),
            .speech("Sorry about that.", milliseconds: 200),
        ])
        var environment = TestValues.environment
        environment["TOOL_TIMEOUT_SECONDS"] = "0.3"
        try await withCallServer(script: script, environment: environment, tools: tools) { client, _, realtime in
            _ = try await Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 200), .speak(milliseconds: 300), .silence(milliseconds: 600),
                .waitForPlayedAudio(milliseconds: 400), .hangUp,
            ])
            let observed = realtime.observations
            let outputs = Dictionary(uniqueKeysWithValues: observed.functionOutputs.map { ($0.callID, $0.output) })
            let byName = Dictionary(uniqueKeysWithValues: observed.functionCalls.map { ($0.value.name, $0.key) })
            let bookingCall = try #require(byName["create_booking"])
            let lookupCall = try #require(byName["get_job_details"])
            let failed = try #require(outputs[bookingCall])
            let timedOut = try #require(outputs[lookupCall])
            #expect(failed == #"{"error":"That slot was just taken."}"#)
            #expect(timedOut.contains("did not answer in time"))
            #expect(observed.responseCreates.count == 2)
            #expect(observed.activeResponseConflicts == 0)
        }
    }

    @Test func bargeInTruncatesTheHeardItemWithin100Milliseconds() async throws {
        let script = FakeRealtimeScript(responses: [
            .speech("Let me tell you all about our moving services and prices in detail.", milliseconds: 4000),
            .speech("Sure, go ahead.", milliseconds: 300),
        ])
        // Generation at twice real time: the greeting is still being generated when the caller talks over it.
        var options = FakeRealtimeServer.Options()
        options.deltaInterval = .milliseconds(50)
        try await withCallServer(script: script, realtimeOptions: options) { client, _, realtime in
            let report = try await Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 1200), .speak(milliseconds: 300), .silence(milliseconds: 700),
                .waitForPlayedAudioAfterClear(milliseconds: 200), .hangUp,
            ])
            let observed = realtime.observations
            #expect(observed.violations.isEmpty, "\(observed.violations)")
            let truncation = try #require(observed.truncations.first)
            #expect(observed.truncations.count == 1)
            #expect(truncation.itemID == observed.assistantItems.first)
            #expect(truncation.accepted)
            let clear = try #require(report.clears.first)
            // What the caller had played when the truncate reached the service, which is just after the server
            // decided it; the clear reaches the caller a little later still, and playback runs on until then.
            let played = report.playedMilliseconds(at: truncation.at)
            #expect(
                abs(truncation.audioEndMilliseconds - played) <= 100,
                "truncated at \(truncation.audioEndMilliseconds) ms, played \(played) ms"
            )
            #expect(truncation.audioEndMilliseconds < 4000)
            print(
                "barge-in: truncated at \(truncation.audioEndMilliseconds) ms; caller had played \(played) ms then, "
                    + "\(clear.playedBytes / MuLaw.bytesPerMillisecond) ms when the clear arrived"
            )
            // No audio of the interrupted item reached the caller after the clear.
            let interrupted = Set(observed.sentDeltas[truncation.itemID] ?? [])
            let late = report.receivedMedia.filter {
                interrupted.contains($0) && report.mediaReceivedAt[$0]! > clear.at
            }
            #expect(late.isEmpty)
            #expect(observed.responsesCancelled == 1)
            #expect(observed.clientEventTypes.contains("response.cancel"))
            // The conversation went on: the next answer was heard.
            let answer = try #require(observed.assistantItems.dropFirst().first)
            #expect(report.receivedMedia.contains(observed.sentDeltas[answer]?.first ?? "-"))
        }
    }

    @Test func aFailedTruncateDoesNotEndTheCall() async throws {
        var options = FakeRealtimeServer.Options()
        options.rejectsTruncates = true
        let script = FakeRealtimeScript(responses: [
            .speech("A long greeting that the caller will interrupt.", milliseconds: 3000),
            .speech("Go ahead.", milliseconds: 300),
        ])
        let logs = LogRecorder()
        try await withCallServer(script: script, realtimeOptions: options, logs: logs) { client, _, realtime in
            let report = try await Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 600), .speak(milliseconds: 300), .silence(milliseconds: 700),
                .waitForPlayedAudioAfterClear(milliseconds: 200), .hangUp,
            ])
            let observed = realtime.observations
            #expect(observed.truncations.first?.accepted == false)
            #expect(!report.serverClosedFirst)
            #expect(report.closeCode == .normalClosure)
            let answer = try #require(observed.assistantItems.dropFirst().first)
            #expect(report.receivedMedia.contains(observed.sentDeltas[answer]?.first ?? "-"))
        }
        let errors = logs.entries.filter { $0.message == "Realtime error" }
        #expect(errors.contains { $0.metadata["message"]?.contains("is already shorter than") == true })
    }

    @Test func aDroppedTwilioSocketClosesTheRealtimeOne() async throws {
        let script = FakeRealtimeScript(responses: [.speech("Hello, this is a long greeting.", milliseconds: 2000)])
        try await withCallServer(script: script) { client, _, realtime in
            _ = try await Self.caller(client).call([.waitForPlayedAudio(milliseconds: 200), .dropConnection])
            let idle = try await Self.waitForIdle(client, realtime)
            #expect(realtime.observations.activeConnections == 0)
            #expect(idle.activeCalls == 0)
            #expect(idle.activeRealtimeSessions == 0)
        }
    }

    @Test(arguments: ["wrong key", "nothing listening"])
    func aRealtimeConnectionThatFailsAtStartEndsTheStreamForTheApology(failure: String) async throws {
        var environment = TestValues.environment
        let logs = LogRecorder()
        if failure == "nothing listening" { environment["OPENAI_REALTIME_URL"] = "ws://127.0.0.1:9/v1/realtime" }
        try await FakeRealtimeServer.run { realtime in
            if failure == "wrong key" { environment["OPENAI_REALTIME_URL"] = realtime.url.absoluteString }
            environment["OPENAI_API_KEY"] = "sk-wrong"
            // Nothing listening is retried: within a short budget here, so that the apology comes as quickly.
            let retries = RealtimeRetryPolicy(
                budget: .seconds(1),
                attemptTimeout: .seconds(1),
                initialDelay: .milliseconds(100),
                maximumDelay: .milliseconds(400)
            )
            try await withVoiceServer(.live, environment: environment, logs: logs, realtimeRetryPolicy: retries) {
                [environment]
                client,
                _ in
                _ = environment
                let started = ContinuousClock.now
                let report = try await Self.caller(client).call([.silence(milliseconds: 5000), .hangUp])
                #expect(report.serverClosedFirst)
                #expect(report.closeCode == .normalClosure)
                #expect(report.receivedMedia.isEmpty)
                #expect(ContinuousClock.now - started < .seconds(4))
                // The session is counted out just after it closed the stream.
                let idle = try await eventually { try await Self.health(client).activeRealtimeSessions == 0 }
                #expect(idle)
            }
            if failure == "wrong key" { #expect(realtime.observations.refusedConnections == 1) }
        }
        let retried = logs.entries.filter { $0.message == "Realtime connection failed; trying again" }.count
        #expect(failure == "wrong key" ? retried == 0 : retried >= 2)
    }

    @Test func withoutAnAPIKeyTheStreamEndsAtOnceForTheApology() async throws {
        try await withVoiceServer(.live) { client, _ in
            let report = try await Self.caller(client).call([.silence(milliseconds: 3000), .hangUp])
            #expect(report.serverClosedFirst)
            #expect(report.receivedMedia.isEmpty)
            #expect(report.streamParameters["callSid"] == "CA" + String(repeating: "1", count: 32))
        }
    }

    @Test func manySequentialCallsLeaveNoSessionBehind() async throws {
        let script = FakeRealtimeScript(responses: [.speech("Hi.", milliseconds: 100)])
        try await withCallServer(script: script) { client, server, realtime in
            for number in 0..<15 {
                let callSid = "CA" + String(format: "%032d", number)
                // Each from its own number: one number may call only ten times an hour.
                let from = "+1415555" + String(format: "%04d", number)
                let report = try await Self.caller(client, callSid: callSid, from: from).call([
                    .waitForPlayedAudio(milliseconds: 100), .hangUp,
                ])
                #expect(report.closeCode == .normalClosure)
                // The server's handler finishes just after the caller sees the close.
                var phase = await server.callRegistry.call(callSid)?.phase
                for _ in 0..<200 where phase != .streamEnded {
                    try await Task.sleep(for: .milliseconds(10))
                    phase = await server.callRegistry.call(callSid)?.phase
                }
                #expect(phase == .streamEnded)
            }
            let idle = try await Self.waitForIdle(client, realtime)
            #expect(idle.activeCalls == 0)
            #expect(idle.activeRealtimeSessions == 0)
            let observed = realtime.observations
            #expect(observed.connections == 15)
            #expect(observed.activeConnections == 0)
            #expect(observed.violations.isEmpty)
        }
    }
}
