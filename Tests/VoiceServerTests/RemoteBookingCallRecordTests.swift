import Booking
import BookingServer
import CallRecords
import CallRecordsSQL
import Foundation
import MCPClient
import Testing
import VoiceTesting

@testable import VoiceServer

/// With `MCP_SERVER_URL` the booking system is another server, and the voice server still keeps every call's record
/// in its own database: the transcript, the tools and the outcome with the job booked over there.
extension CallTests {
    @Test func callRecordsAreKeptWithARemoteBookingServer() async throws {
        let date = Self.openDate().iso
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 300),
                .functionCalls([
                    ScriptedFunctionCall(
                        name: "create_booking",
                        arguments: """
                            {"customer_name":"Dana Whitfield","pickup_address":"12 Grand St, Brooklyn",\
                            "dropoff_address":"400 W 57th St, Manhattan","date":"\(date)","window":"morning",\
                            "home_size":"1_bedroom"}
                            """
                    )
                ]),
                .speech("You are booked.", milliseconds: 300),
            ],
            callerTranscripts: ["Book the morning for Dana Whitfield, please."]
        )
        try await RemoteBookingToolsTests.serve { url, bookingServer in
            try await Self.withBookingCall(
                script: script,
                environment: ["MCP_SERVER_URL": url.absoluteString, "MCP_SERVER_TOKEN": RemoteBookingToolsTests.token]
            ) { call in
                #expect(call.server.bookingSystem == nil)
                // The voice server reaches the booking server before the call starts.
                #expect(try await eventually { await call.server.toolGateway?.isConnected == true })
                _ = try await Self.caller(call.client, callSid: Self.callSid).call([
                    .waitForPlayedAudio(milliseconds: 300), .speak(milliseconds: 400), .silence(milliseconds: 600),
                    .waitForPlayedAudio(milliseconds: 600), .waitForQuiet(milliseconds: 100), .hangUp,
                ])

                // The job is in the booking server's database, made by this call.
                let jobs = try await bookingServer.system.service.jobs(phone: TestValues.callerNumber)
                let job = try #require(jobs.first)
                #expect(jobs.count == 1)
                #expect(job.callSid == Self.callSid)

                // The record is in the voice server's own database, naming that job.
                let record = try await Self.finishedRecord(call)
                #expect(record.outcome == .booked)
                #expect(record.jobID == job.id)
                #expect(record.toolCalls.map(\.name) == ["create_booking"])
                #expect(record.toolCalls.first?.ok == true)
                #expect(record.transcript.contains { $0.speaker == "caller" })
            }
        }
    }
}
