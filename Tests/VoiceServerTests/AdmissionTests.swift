import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TwilioMedia
import VoiceTesting

@testable import VoiceServer

/// `MAX_CONCURRENT_CALLS`, `OVERFLOW_NUMBER` and `MAX_CALLS_PER_NUMBER_PER_HOUR` at the incoming-call webhook
/// (issue 13): a call beyond a limit never gets a media stream, and every refusal is counted.
@Suite struct AdmissionTests {
    static let incomingURL = TestValues.publicBaseURL + "/voice/incoming"

    static func callSid(_ index: Int) -> String {
        "CA" + String(format: "%032x", index)
    }

    static func answer(
        _ client: some TestClientProtocol,
        index: Int,
        from: String = TestValues.callerNumber
    ) async throws -> TwiMLElement {
        let response = try await client.postForm(
            "/voice/incoming",
            fields: TestValues.incomingCallForm(callSid: callSid(index), from: from),
            signedFor: incomingURL
        )
        #expect(response.status == .ok)
        return try TwiMLElement.parse(String(buffer: response.body))
    }

    static func refusals(_ metrics: ServerMetrics, _ reason: Refusal) -> Double? {
        CallTests.sample(
            "voice_refusals_total{reason=\"\(reason.rawValue)\"}",
            in: String(decoding: metrics.scrape(), as: UTF8.self)
        )
    }

    @Test func atTheCapCallersHearTheLinesAreBusyAndNoStreamOpens() async throws {
        var environment = TestValues.environment
        environment["MAX_CONCURRENT_CALLS"] = "2"
        let metrics = ServerMetrics()
        try await withVoiceServer(environment: environment, metrics: metrics) { client, server in
            for index in 0..<2 {
                let twiml = try await Self.answer(client, index: index, from: "+1415555000\(index)")
                #expect(twiml.child("Connect")?.child("Stream") != nil)
            }
            let busy = try await Self.answer(client, index: 2, from: "+14155550002")
            #expect(busy.children.map(\.name) == ["Say", "Hangup"])
            #expect(busy.child("Say")?.text.contains("lines are busy") == true)
            #expect(busy.child("Connect") == nil)
            #expect(await server.callRegistry.call(Self.callSid(2)) == nil)
            #expect(Self.refusals(metrics, .busy) == 1)

            // Twilio retrying the webhook of a call already taken is not a new call.
            let retried = try await Self.answer(client, index: 1, from: "+14155550001")
            #expect(retried.child("Connect")?.child("Stream") != nil)

            // A call that ended frees its line.
            let completed = [
                ("AccountSid", TestValues.accountSid), ("CallSid", Self.callSid(0)), ("CallStatus", "completed"),
            ]
            let status = try await client.postForm(
                "/voice/status",
                fields: completed,
                signedFor: TestValues.publicBaseURL + "/voice/status"
            )
            #expect(status.status == .ok)
            let next = try await Self.answer(client, index: 3, from: "+14155550003")
            #expect(next.child("Connect")?.child("Stream") != nil)
        }
    }

    @Test func atTheCapCallersGoToTheOverflowNumberWhenOneIsSet() async throws {
        var environment = TestValues.environment
        environment["MAX_CONCURRENT_CALLS"] = "1"
        environment["OVERFLOW_NUMBER"] = "+12125550199"
        try await withVoiceServer(environment: environment) { client, _ in
            _ = try await Self.answer(client, index: 0, from: "+14155550000")
            let overflow = try await Self.answer(client, index: 1, from: "+14155550001")
            #expect(overflow.children.map(\.name) == ["Dial"])
            #expect(overflow.child("Dial")?.text == "+12125550199")
        }
    }

    @Test func oneNumberCallingTooOftenIsRejectedUnanswered() async throws {
        var environment = TestValues.environment
        environment["MAX_CALLS_PER_NUMBER_PER_HOUR"] = "3"
        let metrics = ServerMetrics()
        try await withVoiceServer(environment: environment, metrics: metrics) { client, _ in
            for index in 0..<3 {
                let twiml = try await Self.answer(client, index: index)
                #expect(twiml.child("Connect")?.child("Stream") != nil)
            }
            let rejected = try await Self.answer(client, index: 3)
            #expect(rejected.children.map(\.name) == ["Reject"])
            #expect(rejected.child("Reject")?.attributes["reason"] == "busy")
            #expect(Self.refusals(metrics, .tooManyCallsFromNumber) == 1)
            // Another number is not affected.
            let other = try await Self.answer(client, index: 4, from: "+14155550123")
            #expect(other.child("Connect")?.child("Stream") != nil)
        }
    }

    @Test func theHourlyAllowanceComesBackAfterAnHour() async {
        let registry = CallRegistry()
        let limits = CallRegistry.AdmissionLimits(maximumConcurrentCalls: 100, maximumCallsPerNumberPerHour: 2)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<2 {
            let admission = await registry.admit(
                callSid: Self.callSid(index),
                from: "+14155550100",
                to: nil,
                limits: limits,
                at: start.addingTimeInterval(Double(index))
            )
            #expect(admission == .admitted)
        }
        let third = await registry.admit(
            callSid: Self.callSid(2),
            from: "+14155550100",
            to: nil,
            limits: limits,
            at: start.addingTimeInterval(60)
        )
        #expect(third == .tooManyCallsFromNumber)
        let later = await registry.admit(
            callSid: Self.callSid(3),
            from: "+14155550100",
            to: nil,
            limits: limits,
            at: start.addingTimeInterval(3601)
        )
        #expect(later == .admitted)
    }

    @Test func anAnsweredCallWhoseStreamNeverCameStopsHoldingALine() async {
        let registry = CallRegistry()
        let limits = CallRegistry.AdmissionLimits(maximumConcurrentCalls: 1, maximumCallsPerNumberPerHour: 10)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(
            await registry.admit(callSid: Self.callSid(0), from: "+1", to: nil, limits: limits, at: start) == .admitted
        )
        #expect(
            await registry.admit(callSid: Self.callSid(1), from: "+2", to: nil, limits: limits, at: start) == .busy
        )
        // The first call's stream starts: it still holds its line.
        #expect(await registry.streamStarted(callSid: Self.callSid(0), streamSid: "MZ0"))
        #expect(
            await registry.admit(
                callSid: Self.callSid(1),
                from: "+2",
                to: nil,
                limits: limits,
                at: start.addingTimeInterval(60)
            ) == .busy
        )
        await registry.streamEnded(callSid: Self.callSid(0))
        // A call answered but never streamed holds its line for the pending window only.
        #expect(
            await registry.admit(callSid: Self.callSid(2), from: "+3", to: nil, limits: limits, at: start) == .admitted
        )
        let afterWindow = start.addingTimeInterval(CallRegistry.AdmissionLimits.pendingWindow + 1)
        #expect(
            await registry.admit(callSid: Self.callSid(4), from: "+4", to: nil, limits: limits, at: afterWindow)
                == .admitted
        )
    }

    @Test(arguments: ["0", "-1", "many"])
    func badLimitsAreRefusedAtStartUp(value: String) async throws {
        var environment = TestValues.environment
        environment["MAX_CONCURRENT_CALLS"] = value
        await #expect(throws: (any Error).self) {
            _ = try await VoiceServerConfiguration.load(environment: environment, environmentFile: nil)
        }
    }
}
