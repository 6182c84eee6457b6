import Foundation
import HummingbirdTesting
import Testing
import VoiceBench
import VoiceTesting

@testable import VoiceServer

/// `voice-server bench` against a server running in this process: every call placed, audio timed both ways by
/// its stamps, tools called, and the figures read from `/proc`.
extension CallTests {
    @Test func theBenchmarkTimesEveryFrameBothWaysThroughARunningServer() async throws {
        let realtimePort = try FreePort.find()
        let environment = [
            "OPENAI_REALTIME_URL": "ws://127.0.0.1:\(realtimePort)/v1/realtime", "OPENAI_API_KEY": "sk-bench",
            "OPENAI_TRANSCRIPTION_MODEL": "none",
        ]
        try await withVoiceServer(.live, environment: environment) { client, _ in
            var options = CallBenchmark.Options()
            options.calls = 5
            options.seconds = 2
            options.warmUpSeconds = 0.5
            options.toolIntervalSeconds = 0.5
            options.serverURL = "http://127.0.0.1:\(try #require(client.port))"
            options.serverPID = ProcessInfo.processInfo.processIdentifier
            options.realtimePort = realtimePort
            let result = try await CallBenchmark(options: options).run(logger: LogRecorder().logger)

            #expect(result.connectedCalls == 5)
            #expect(result.failedCalls == 0)
            #expect(result.droppedCalls == 0)
            // 50 frames a second per caller, and a 100 ms delta every 100 ms per assistant, give or take a tick.
            #expect(abs(result.callerFramesSent - 5 * 50 * 2) <= 5 * 3)
            #expect(abs(result.assistantDeltasSent - 5 * 10 * 2) <= 5 * 2)
            // What was sent arrived, and was timed by its stamp.
            #expect(result.callerToRealtime.count >= UInt64(result.callerFramesSent - 5 * 3))
            #expect(result.realtimeToCaller.count >= UInt64(result.assistantDeltasSent - 5 * 2))
            #expect(result.callerToRealtime.p50Milliseconds > 0)
            #expect(result.realtimeToCaller.p99Milliseconds < 1000)
            // Each call asked for a tool and got an answer (these tools are none, so it is an error).
            #expect(result.toolCalls.count >= 5)
            #expect(result.serverCPUMillisecondsPerCallSecond != nil)
            #expect((result.serverResidentMiB ?? 0) > 1)
        }
    }
}

/// The relay's cost per frame, as counts that do not depend on how busy the machine is: the system calls the server
/// makes per relayed frame, read from `/proc` while a built `voice-server` relays a few calls from the benchmark's
/// callers to its stand-in Realtime service (few, so that the other suites running beside it keep their cores). A caller frame needs one read and one write; an assistant delta one read, one
/// write (its audio and mark together) and the read of the mark's echo: 70 reads and 60 writes for 60 frames. A busy
/// machine only lowers the counts (frames that wait are read and written together), so only ceilings are checked:
/// a write more per message, a wake-up of another thread per frame, or the audio and its mark flushed apart (as
/// before issue 18: 1.27 writes per frame) goes over them.
@Suite(.serialized) struct RelayCostTests {
    @Test func theServerMakesAboutOneReadAndOneWritePerRelayedFrame() async throws {
        var options = CallBenchmark.Options()
        options.calls = 5
        options.seconds = 3
        options.warmUpSeconds = 1
        // No tool call during the measurement: a tool's database writes are not the relay's.
        options.toolIntervalSeconds = 3600
        options.serverExecutable = try VoiceServerProcess.builtBesideTests
        let result = try await CallBenchmark(options: options).run(logger: LogRecorder().logger)

        #expect(result.connectedCalls == 5)
        // Caller audio goes straight from socket to socket once a session is open, the ordinary way before: never
        // out of order.
        #expect(result.callerFramesOutOfOrder == 0)
        let frames = result.callerToRealtime.count + result.realtimeToCaller.count
        #expect(frames >= 400)
        let reads = try #require(result.serverReadCallsPerFrame)
        let writes = try #require(result.serverWriteCallsPerFrame)
        #expect(reads > 0)
        #expect(reads <= 1.4, "reads per relayed frame: \(reads)")
        #expect(writes > 0)
        #expect(writes <= 1.2, "writes per relayed frame: \(writes)")
    }
}
