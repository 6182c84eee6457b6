import CallBridge
import CallRecords
import Foundation
import RealtimeAPI
import Testing
import VoiceTesting

@testable import VoiceServer

/// Limits a caller can feel (issue 14, part 5): a silent caller, and the call's time limit.
extension CallTests {
    /// The instructions of every `response.create` the service received.
    static func responseInstructions(_ realtime: FakeRealtimeServer) -> [String] {
        realtime.observations.responseCreates.compactMap { $0["response"]?["instructions"]?.stringValue }
    }

    @Test func aSilentCallerIsAskedIfTheyAreStillThereThenToldGoodbye() async throws {
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 300),
                .speech("Are you still there?", milliseconds: 300),
                .functionCalls(
                    [ScriptedFunctionCall(name: "end_call", arguments: "{}")],
                    preamble: "Please call back any time. Goodbye!",
                    preambleMilliseconds: 300
                ),
            ]
        )
        try await Self.withBookingCall(script: script, environment: ["SILENCE_SECONDS": "1"]) { call in
            let started = ContinuousClock.now
            let report = try await Self.caller(call.client, callSid: Self.callSid).call([
                .waitForServerToEndCall(timeout: .seconds(10))
            ])
            #expect(report.serverClosedFirst)
            #expect(report.playedMilliseconds >= 900)
            #expect(ContinuousClock.now - started < .seconds(8))
            let instructions = Self.responseInstructions(call.realtime)
            #expect(instructions.contains { $0.hasSuffix(CallerAttention.stillThere) })
            #expect(instructions.contains { $0.hasSuffix(CallerAttention.silentGoodbye) })
            let record = try await Self.finishedRecord(call)
            #expect(record.outcome == .endedByAssistant)
        }
    }

    @Test func atTheTimeLimitTheAssistantWrapsUpAndTheCallEnds() async throws {
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 300),
                .functionCalls(
                    [ScriptedFunctionCall(name: "end_call", arguments: "{}")],
                    preamble: "We are out of time; call us back to finish. Goodbye!",
                    preambleMilliseconds: 300
                ),
            ]
        )
        let environment = ["MAX_CALL_MINUTES": "0.05", "SILENCE_SECONDS": "0"]
        try await Self.withBookingCall(script: script, environment: environment) { call in
            let started = ContinuousClock.now
            let report = try await Self.caller(call.client, callSid: Self.callSid).call([
                .waitForServerToEndCall(timeout: .seconds(10))
            ])
            let took = ContinuousClock.now - started
            #expect(report.serverClosedFirst)
            #expect(took >= .seconds(3) && took < .seconds(7), "the call took \(took)")
            let instructions = Self.responseInstructions(call.realtime)
            #expect(instructions.contains { $0.hasSuffix(CallerAttention.wrapUp) })
            // Silence is off: nobody asked whether the caller was still there.
            #expect(!instructions.contains { $0.hasSuffix(CallerAttention.stillThere) })
            let record = try await Self.finishedRecord(call)
            #expect(record.outcome == .endedByAssistant)
        }
    }
}
