import AsyncHTTPClient
import CallBridge
import CallRecords
import CallRecordsSQL
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import RealtimeAPI
import SQLStorage
import Testing
import TwilioMedia
import VoiceTesting

@testable import VoiceServer

#if canImport(Glibc)
import Glibc
#endif

/// Issue 14, part 6: a deploy drains the calls instead of cutting them. The real executable, a real `SIGTERM`.
extension CallTests {
    /// Runs the `voice-server` process against a fake Realtime service and a fake Twilio REST API.
    static func withServerProcess(
        script: FakeRealtimeScript,
        environment extra: [String: String],
        _ test: @Sendable (VoiceServerProcess, FakeRealtimeServer, String) async throws -> Void
    ) async throws {
        var options = FakeRealtimeServer.Options()
        options.script = script
        try await FakeTwilioREST.run(accountSid: TestValues.accountSid, authToken: TestValues.authToken) { twilio in
            try await FakeRealtimeServer.run(options: options) { realtime in
                let database = FileManager.default.temporaryDirectory.appendingPathComponent("drain-\(UUID()).sqlite")
                var environment = TestValues.environment
                environment["OPENAI_REALTIME_URL"] = realtime.url.absoluteString
                environment["OPENAI_API_KEY"] = options.apiKey
                environment["TWILIO_API_BASE_URL"] = twilio.baseURL.absoluteString
                environment["DATABASE_URL"] = database.path
                environment.merge(extra) { $1 }
                let server = try VoiceServerProcess.start(
                    executable: try VoiceServerProcess.builtBesideTests,
                    port: try FreePort.find(),
                    environment: environment
                )
                defer {
                    if server.process.isRunning { server.signal(SIGKILL) }
                    for suffix in ["", "-wal", "-shm"] {
                        try? FileManager.default.removeItem(atPath: database.path + suffix)
                    }
                }
                try await server.waitUntilHealthy()
                try await test(server, realtime, database.path)
            }
        }
    }

    static func processCaller(_ server: VoiceServerProcess, callSid: String = callSid) -> SimulatedCaller {
        var configuration = SimulatedCaller.Configuration(
            serverURL: server.url,
            publicBaseURL: TestValues.publicBaseURL,
            authToken: TestValues.authToken
        )
        configuration.callSid = callSid
        configuration.streamSid = "MZ" + callSid.dropFirst(2)
        return SimulatedCaller(configuration: configuration)
    }

    /// The incoming-call webhook, signed, as Twilio posts it: the TwiML it answers.
    static func incomingCall(_ server: VoiceServerProcess, callSid: String) async throws -> String {
        let fields = TestValues.incomingCallForm(callSid: callSid)
        var request = HTTPClientRequest(url: server.url + "/voice/incoming")
        request.method = .POST
        for field in TestValues.signedFormHeaders(url: TestValues.publicBaseURL + "/voice/incoming", fields: fields) {
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        request.body = .bytes(ByteBuffer(string: TestValues.formBody(fields)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        return String(buffer: try await response.body.collect(upTo: 1 << 16))
    }

    /// `voice-server healthcheck --port`, as a container's health check runs it: its exit status.
    static func healthcheck(_ server: VoiceServerProcess) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try VoiceServerProcess.builtBesideTests)
        process.arguments = ["healthcheck", "--port", String(server.port)]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func sigtermLetsALiveCallFinishWhileNewCallsGoElsewhereThenTheProcessExitsZero() async throws {
        let script = FakeRealtimeScript(responses: [
            .speech("Thanks for calling NYC Quick Movers.", milliseconds: 600),
            .speech("Friday works for us.", milliseconds: 600),
        ])
        try await Self.withServerProcess(script: script, environment: [:]) { server, realtime, _ in
            async let call = Self.processCaller(server).call([
                .waitForPlayedAudio(milliseconds: 600), .silence(milliseconds: 6500), .speak(milliseconds: 300),
                .silence(milliseconds: 700), .waitForPlayedAudio(milliseconds: 1200), .hangUp,
            ])
            _ = try await realtime.waitUntil { $0.assistantItems.count == 1 }
            #expect(try await server.get("/health/ready").status == .ok)
            #expect(try Self.healthcheck(server) == 0)
            server.signal()
            let draining = try await eventually { try await server.get("/health/ready").status == .serviceUnavailable }
            #expect(draining)
            // Liveness is unchanged: the process is healthy, only not taking calls.
            #expect(try await server.get("/health").status == .ok)
            #expect(try Self.healthcheck(server) == 1)
            let twiml = try await Self.incomingCall(server, callSid: "CA" + String(repeating: "2", count: 32))
            #expect(!twiml.contains("<Connect>"))
            #expect(twiml.contains("<Say>") && twiml.contains("<Hangup/>"))

            // Over 5 s after the signal, the call still gets its answer, and the caller ends it.
            let report = try await call
            #expect(report.playedMilliseconds >= 1200)
            #expect(!report.serverClosedFirst)
            #expect(report.closeCode == .normalClosure)
            #expect(await server.exitStatus(within: .seconds(10)) == 0, "\(server.log)")
            #expect(server.log.contains("Every call has ended; stopping"))
        }
    }

    @Test func callsStillGoingWhenTheDrainTimeIsUpAreToldGoodbyeAndEndedByTheServer() async throws {
        let script = FakeRealtimeScript(responses: [
            .speech("Thanks for calling NYC Quick Movers.", milliseconds: 600),
            .functionCalls(
                [ScriptedFunctionCall(name: "end_call", arguments: "{}")],
                preamble: "We are restarting our line; please call back in a few minutes. Goodbye!",
                preambleMilliseconds: 600
            ),
        ])
        let environment = [
            "DRAIN_SECONDS": "1", "DRAIN_REDIRECT_URL": "https://standby.example-movers.com/voice/incoming",
        ]
        try await Self.withServerProcess(script: script, environment: environment) { server, realtime, database in
            async let call = Self.processCaller(server).call([
                .waitForPlayedAudio(milliseconds: 600), .waitForServerToEndCall(timeout: .seconds(15)),
            ])
            _ = try await realtime.waitUntil { $0.assistantItems.count == 1 }
            server.signal()
            _ = try await eventually { try await server.get("/health/ready").status == .serviceUnavailable }
            let twiml = try await Self.incomingCall(server, callSid: "CA" + String(repeating: "3", count: 32))
            #expect(
                twiml.contains(#"<Redirect method="POST">https://standby.example-movers.com/voice/incoming</Redirect>"#)
            )

            let report = try await call
            #expect(report.serverClosedFirst)
            #expect(report.playedMilliseconds >= 1200)
            let instructions = realtime.observations.responseCreates.compactMap {
                $0["response"]?["instructions"]?.stringValue
            }
            #expect(instructions.contains { $0.hasSuffix(CallerAttention.serverClosing) })
            #expect(await server.exitStatus(within: .seconds(15)) == 0, "\(server.log)")

            let storage = try await SQLStorage.sqlite(path: database, logger: Logger(label: "drain-test"))
            let record = try await SQLCallRecordStore(storage: storage).callRecord(callSid: Self.callSid)
            await storage.close()
            #expect(record?.outcome == .endedByServer)
        }
    }
}
