import AsyncHTTPClient
import CallBridge
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import RealtimeAPI
import Testing
import VoiceTesting

@testable import VoiceServer

/// `GET /metrics`: Prometheus' text format, and what one whole call adds to it.
extension CallTests {
    /// The value of the sample `name` (with its labels, as written), or `nil` if the scrape has none.
    static func sample(_ name: String, in scrape: String) -> Double? {
        scrape.split(separator: "\n").lazy.compactMap { line -> Double? in
            guard line.hasPrefix(name + " ") else { return nil }
            return Double(line.dropFirst(name.count + 1))
        }.first
    }

    /// A GET on the admin listener, once it listens.
    static func admin(
        _ server: VoiceApplication,
        _ path: String,
        bearer token: String? = nil
    ) async throws -> (status: Int, contentType: String?, body: String) {
        _ = try await eventually { server.adminPort.value != nil }
        let port = try #require(server.adminPort.value)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), response.headers.first(name: "Content-Type"), String(buffer: body))
    }

    @Test func metricsAreServedInPrometheusTextFormat() async throws {
        try await withVoiceServer { client, server in
            let response = try await Self.admin(server, "/metrics")
            #expect(response.status == 200)
            #expect(response.contentType?.hasPrefix("text/plain; version=0.0.4") == true)
            let scrape = response.body
            #expect(Self.sample("voice_active_calls", in: scrape) == 0)
            #expect(scrape.contains("# TYPE voice_relay_latency_seconds histogram"))
        }
    }

    @Test func aCallIsCountedRelayedAndTimedInTheMetrics() async throws {
        let metrics = ServerMetrics()
        let script = FakeRealtimeScript(
            responses: [
                .speech("Thanks for calling NYC Quick Movers.", milliseconds: 400),
                .speech("Sure, let me help with that.", milliseconds: 400),
            ],
            callerTranscripts: ["I need to move."]
        )
        try await withCallServer(script: script, metrics: metrics) { client, server, realtime in
            let during = try await Self.caller(client).call([
                .waitForPlayedAudio(milliseconds: 400), .speak(milliseconds: 300), .silence(milliseconds: 600),
                .waitForPlayedAudio(milliseconds: 800), .hangUp,
            ])
            #expect(during.violations.isEmpty)
            _ = try await Self.waitForIdle(client, realtime)
            var scrape = ""
            let counted = try await eventually {
                scrape = try await Self.admin(server, "/metrics").body
                return Self.sample(#"voice_calls_total{outcome="ended_by_caller"}"#, in: scrape) == 1
            }
            #expect(counted, "\(scrape)")
            #expect(Self.sample("voice_active_calls", in: scrape) == 0)
            #expect(Self.sample(#"voice_realtime_connections_total{result="connected"}"#, in: scrape) == 1)
            // Every frame the caller sent while the session was open, and every delta, was timed.
            let callerFrames = Self.sample(
                #"voice_relay_latency_seconds_count{direction="caller_to_realtime"}"#,
                in: scrape
            )
            #expect((callerFrames ?? 0) >= 40)
            let deltas = realtime.observations.sentDeltas.values.map(\.count).reduce(0, +)
            let assistantFrames = Self.sample(
                #"voice_relay_latency_seconds_count{direction="realtime_to_caller"}"#,
                in: scrape
            )
            #expect(assistantFrames == Double(deltas))
            // One answer followed the caller's turn: its wait was timed once.
            #expect(Self.sample("voice_response_latency_seconds_count", in: scrape) == 1)
            #expect((Self.sample(#"voice_realtime_tokens_total{kind="audio_out"}"#, in: scrape) ?? 0) > 0)
            #expect((Self.sample("voice_realtime_estimated_cost_dollars_total", in: scrape) ?? 0) > 0)
        }
    }
}

@Suite struct ServerMetricsTests {
    @Test func toolCallsAreTimedAndTheirErrorsCountedByTool() {
        let metrics = ServerMetrics()
        metrics.toolCalled("check_availability", milliseconds: 14, outcome: .succeeded(ToolResult("{}")))
        metrics.toolCalled("create_booking", milliseconds: 8000, outcome: .timedOut)
        metrics.toolCalled(
            "create_booking",
            milliseconds: 30,
            outcome: .failed(speakableMessage: "That slot is taken.")
        )
        let scrape = String(decoding: metrics.scrape(), as: UTF8.self)
        #expect(
            CallTests.sample(#"voice_tool_call_duration_seconds_count{tool="check_availability"}"#, in: scrape) == 1
        )
        #expect(CallTests.sample(#"voice_tool_call_duration_seconds_count{tool="create_booking"}"#, in: scrape) == 2)
        #expect(
            CallTests.sample(#"voice_tool_call_errors_total{tool="create_booking",error="timed_out"}"#, in: scrape) == 1
        )
        #expect(
            CallTests.sample(#"voice_tool_call_errors_total{tool="create_booking",error="failed"}"#, in: scrape) == 1
        )
        #expect(!scrape.contains(#"voice_tool_call_errors_total{tool="check_availability""#))
    }

    @Test func tokensAreCountedByKindWithTheirEstimatedCost() {
        let metrics = ServerMetrics()
        metrics.used(
            RealtimeUsage(inputTextTokens: 100, inputAudioTokens: 50, outputAudioTokens: 20),
            costMicroDollars: 3_000
        )
        let scrape = String(decoding: metrics.scrape(), as: UTF8.self)
        #expect(CallTests.sample(#"voice_realtime_tokens_total{kind="text_in"}"#, in: scrape) == 100)
        #expect(CallTests.sample(#"voice_realtime_tokens_total{kind="audio_out"}"#, in: scrape) == 20)
        #expect(CallTests.sample("voice_realtime_estimated_cost_dollars_total", in: scrape) == 0.003)
    }
}
