import CallRecords
import CallRecordsSQL
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOHTTP1
import RealtimeAPI
import Testing
import VoiceTesting

@testable import VoiceServer

/// `RECORD_CALLS` (issue 17): off by default; on, the greeting discloses the recording first, the call is recorded
/// through Twilio's REST API on both channels, Twilio's recording status is kept, and the dashboard plays it through
/// the server.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RecordingTests {
    static let callSid = "CA" + String(repeating: "8", count: 32)

    /// One short call against the fake Twilio REST API; what the fake saw, and the server.
    func call(
        recording: Bool,
        _ then:
            @escaping @Sendable (FakeTwilioREST, VoiceApplication, FakeRealtimeServer, any TestClientProtocol)
            async throws -> Void
    ) async throws {
        var quiet = Logger(label: "recording-test")
        quiet.logLevel = .warning
        try await FakeTwilioREST.run(accountSid: TestValues.accountSid, authToken: TestValues.authToken, logger: quiet)
        {
            twilio in
            var environment = DashboardRouteTests.environment
            environment["TWILIO_API_BASE_URL"] = twilio.baseURL.absoluteString
            if recording { environment["RECORD_CALLS"] = "true" }
            try await withCallServer(environment: environment) { client, server, realtime in
                _ = try await CallTests.caller(client, callSid: Self.callSid).call([
                    .waitForPlayedAudio(milliseconds: 400), .hangUp,
                ])
                try await then(twilio, server, realtime, client)
            }
        }
    }

    static func greetingInstructions(_ realtime: FakeRealtimeServer) -> String {
        realtime.observations.responseCreates.first?["response"]?["instructions"]?.stringValue ?? ""
    }

    @Test func offByDefaultNothingIsRecordedAndNothingIsSaidAboutIt() async throws {
        try await call(recording: false) { twilio, _, realtime, _ in
            try await Task.sleep(for: .milliseconds(200))
            #expect(!twilio.requests.contains { $0.resource.hasSuffix("Recordings.json") })
            #expect(!Self.greetingInstructions(realtime).contains("recorded"))
        }
    }

    @Test func onTheCallIsRecordedOnBothChannelsAndTheGreetingSaysSoFirst() async throws {
        try await call(recording: true) { twilio, server, realtime, _ in
            let requests = try await twilio.waitUntil { $0.contains { $0.resource.hasSuffix("Recordings.json") } }
            let start = try #require(requests.first { $0.resource == "Calls/\(Self.callSid)/Recordings.json" })
            #expect(start.method == "POST")
            #expect(start.form["RecordingChannels"] == "dual")
            #expect(start.form["RecordingStatusCallback"] == TestValues.publicBaseURL + "/voice/recording-status")
            let greeting = Self.greetingInstructions(realtime)
            #expect(greeting.contains(#"Begin with these exact words: "This call is recorded.""#))
            let recordingSid = try #require(twilio.recordings.first { $0.value == Self.callSid }?.key)
            var record: CallRecord?
            #expect(
                try await eventually {
                    record = try await server.callRecords.callRecord(callSid: Self.callSid)
                    return record?.recordings.map(\.sid) == [recordingSid]
                }
            )
        }
    }

    @Test func theRecordingStatusIsKeptAndTheDashboardPlaysItThroughTheServer() async throws {
        try await call(recording: true) { twilio, server, _, client in
            _ = try await twilio.waitUntil { $0.contains { $0.resource.hasSuffix("Recordings.json") } }
            let recordingSid = try #require(twilio.recordings.first?.key)
            let fields = [
                ("AccountSid", TestValues.accountSid), ("CallSid", Self.callSid), ("RecordingSid", recordingSid),
                ("RecordingStatus", "completed"), ("RecordingDuration", "7"), ("RecordingChannels", "2"),
            ].map { (name: $0.0, value: $0.1) }
            let url = TestValues.publicBaseURL + "/voice/recording-status"
            // Unsigned, it is refused and nothing is kept.
            let unsigned = try await client.postForm("/voice/recording-status", fields: fields, headers: [:])
            #expect(unsigned.status == .forbidden)
            let signed = try await client.postForm("/voice/recording-status", fields: fields, signedFor: url)
            #expect(signed.status == .ok)
            let record = try #require(try await server.callRecords.callRecord(callSid: Self.callSid))
            #expect(record.recordings.first?.status == "completed")
            #expect(
                record.timeline.contains {
                    $0.event == .recording(sid: recordingSid, status: "completed", durationSeconds: 7)
                }
            )

            let dashboard = try await DashboardClient(server)
            let path = "/dashboard/calls/\(Self.callSid)/recording/\(recordingSid)"
            #expect(try await dashboard.get(path).location == "/dashboard/login")
            try await dashboard.signIn(token: DashboardRouteTests.token)
            let page = try await dashboard.get("/dashboard/calls/\(Self.callSid)")
            #expect(page.body.contains(#"<audio controls preload="none" src="\#(path)">"#))
            let audio = try await dashboard.get(path)
            #expect(audio.status == 200)
            #expect(audio.headers.first(name: "Content-Type") == "audio/mpeg")
            #expect(Array(audio.body.utf8) == FakeTwilioREST.recordingAudio)
            // A recording of another call is not served here.
            let other = try await dashboard.get(
                "/dashboard/calls/\(Self.callSid)/recording/RE\(String(repeating: "0", count: 32))"
            )
            #expect(other.status == 404)
            try await dashboard.shutdown()
        }
    }
}
