import Booking
import BookingSQL
import BookingServer
import CallBridge
import CallRecords
import CallRecordsSQL
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import MCPClient
import NIOWebSocket
import RealtimeAPI
import Testing
import VoiceTesting

@testable import VoiceServer

/// Whole calls that use tools: the booking system over MCP, and the call-control tools, with Twilio's REST API
/// played by a local fake. Part of ``CallTests`` so that they, too, run one at a time.
extension CallTests {
    /// The fake Twilio REST API, and the server using it with its embedded booking system (or the remote one
    /// `MCP_SERVER_URL` in `environment` names) on a fresh SQLite file.
    static func withBookingCall<Value: Sendable>(
        script: FakeRealtimeScript,
        environment extra: [String: String] = [:],
        logs: LogRecorder = LogRecorder(),
        bookingStore: @escaping @Sendable (any BookingStore) -> any BookingStore = { $0 },
        callerKnowledge: @escaping @Sendable (String, FakeTwilioREST) -> String? = { _, _ in nil },
        _ test: @escaping @Sendable (CallContext) async throws -> Value
    ) async throws -> Value {
        try await FakeTwilioREST.run(accountSid: TestValues.accountSid, authToken: TestValues.authToken) { twilio in
            var environment = TestValues.environment
            environment["TWILIO_API_BASE_URL"] = twilio.baseURL.absoluteString
            environment.merge(extra) { $1 }
            var options = FakeRealtimeServer.Options()
            options.callerKnowledge = { callerKnowledge($0, twilio) }
            return try await withCallServer(
                script: script,
                realtimeOptions: options,
                environment: environment,
                logs: logs,
                tools: nil,
                bookingStore: bookingStore
            ) { client, server, realtime in
                try await test(CallContext(client: client, realtime: realtime, twilio: twilio, server: server))
            }
        }
    }

    struct CallContext: Sendable {
        var client: any TestClientProtocol
        var realtime: FakeRealtimeServer
        var twilio: FakeTwilioREST
        var server: VoiceApplication
        /// The embedded booking system.
        var system: BookingSystem {
            get throws { try #require(server.bookingSystem) }
        }
    }

    static let callSid = "CA" + String(repeating: "1", count: 32)

    /// The model's `create_booking` for Dana's two-bedroom move on the morning of `date` (ISO).
    static func danasBooking(on date: String) -> ScriptedFunctionCall {
        ScriptedFunctionCall(
            name: "create_booking",
            arguments: """
                {"customer_name":"Dana Whitfield","pickup_address":"12 Grand St, Apt 3, Brooklyn",\
                "dropoff_address":"400 W 57th St, Manhattan","date":"\(date)","window":"morning",\
                "home_size":"2_bedroom"}
                """
        )
    }

    /// The first date from the day after tomorrow that the company works (not a Sunday), in its time zone.
    static func openDate() -> CalendarDate {
        var date = CalendarDate(Date(), in: TimeZone(identifier: "America/New_York")!).adding(days: 2)
        while date.weekday == .sunday { date = date.adding(days: 1) }
        return date
    }

    /// The call's record once the session has written how the call ended.
    static func finishedRecord(_ call: CallContext) async throws -> CallRecord {
        var record: CallRecord?
        _ = try await eventually {
            record = try await call.server.callRecords.callRecord(callSid: callSid)
            return record?.outcome != nil
        }
        return try #require(record)
    }

    static func isError(_ output: String) -> Bool {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(output.utf8)))?["error"] != nil
    }

    @Test func aMoveIsBookedByVoiceConfirmedAndTheCallEndsAfterTheGoodbye() async throws {
        let date = Self.openDate().iso
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help with your move?", milliseconds: 400),
                .functionCalls([
                    ScriptedFunctionCall(
                        name: "check_availability",
                        arguments: #"{"date":"\#(date)","home_size":"2_bedroom"}"#
                    )
                ]),
                .speech("That morning is free; the estimate is on its way.", milliseconds: 400),
                .functionCalls([Self.danasBooking(on: date)]),
                .speech("You are booked.", milliseconds: 400),
                .functionCalls([ScriptedFunctionCall(name: "send_confirmation", arguments: #"{"job_id":"{{job_id}}"}"#)]
                ),
                .speech("The text is on its way.", milliseconds: 400),
                .functionCalls(
                    [ScriptedFunctionCall(name: "end_call", arguments: "{}")],
                    preamble: "Thanks for calling NYC Quick Movers. Goodbye!",
                    preambleMilliseconds: 800
                ),
            ],
            callerTranscripts: [
                "Do you have a morning free for a two-bedroom?", "Yes, book it for Dana Whitfield.",
                "Can you text me the details?", "No, that's all, thanks.",
            ]
        )
        let logs = LogRecorder()
        try await Self.withBookingCall(
            script: script,
            environment: ["TWILIO_PHONE_NUMBER": "+15005550006"],
            logs: logs
        ) { call in
            var steps: [SimulatedCaller.Step] = []
            for played in [400, 800, 1200, 1600] {
                steps += [
                    .waitForPlayedAudio(milliseconds: played), .speak(milliseconds: 400), .silence(milliseconds: 600),
                ]
            }
            steps.append(.waitForServerToEndCall(timeout: .seconds(15)))
            let report = try await Self.caller(call.client, callSid: Self.callSid).call(steps)
            let observed = call.realtime.observations
            #expect(observed.violations.isEmpty, "\(observed.violations)")

            // The session offered the booking tools and end_call (no TRANSFER_NUMBER: no transfer).
            let offered = observed.sessionUpdates.first?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(
                Set(offered ?? []) == [
                    "check_availability", "create_booking", "send_confirmation", "update_job_status",
                    "get_job_details", "end_call", "send_verification_code", "check_verification_code",
                ]
            )

            // Three booking tools answered without error, in order.
            let byCallID = observed.functionCalls
            let outputs = observed.functionOutputs.map { (byCallID[$0.callID]?.name ?? "?", $0.output) }
            #expect(outputs.map(\.0) == ["check_availability", "create_booking", "send_confirmation"])
            for (name, output) in outputs { #expect(!Self.isError(output), "\(name): \(output)") }

            // The booking is in the database, with the caller's number and this call.
            let jobs = try await call.system.service.jobs(phone: TestValues.callerNumber)
            #expect(jobs.count == 1)
            let job = try #require(jobs.first)
            #expect(job.customerName == "Dana Whitfield")
            #expect(job.date.iso == date)
            #expect(job.window == .morning)
            #expect(job.callSid == Self.callSid)
            #expect(outputs[1].1.contains(job.id))
            // The confirmation was sent, once, to the caller's number, and Twilio's SID recorded.
            #expect(outputs[2].1.contains(job.id))
            #expect(outputs[2].1.contains(#""to_last_digits":"2671""#))
            #expect(outputs[2].1.contains(#""status":"queued""#))
            let texts = call.twilio.messages
            #expect(texts.count == 1)
            #expect(texts.first?.to == TestValues.callerNumber)
            #expect(texts.first?.from == "+15005550006")
            #expect(texts.first?.body.contains(job.id) == true)
            print("confirmation text: \(texts.first?.body ?? "none")")

            // The call was ended through Twilio's REST API once the goodbye had played, then the stream closed.
            let hangUps = call.twilio.requests.filter { $0.resource == "Calls/\(Self.callSid).json" }
            #expect(call.twilio.requests.count == 2)
            #expect(hangUps.count == 1)
            let hangUp = try #require(hangUps.first)
            #expect(hangUp.form == ["Status": "completed"])
            let spoken = 4 * 400 + 800
            #expect(report.playedMilliseconds(at: hangUp.receivedAt) >= spoken - 20)
            #expect(report.serverClosedFirst)
            #expect(report.closeCode == .normalClosure)

            // The tool round trip through the embedded MCP server, as the server logged it.
            let latencies = logs.entries.filter { $0.message == "Tool call" }.map {
                "\($0.metadata["tool"] ?? "?") \($0.metadata["latency_ms"] ?? "?") ms"
            }
            #expect(latencies.count == 3)
            print("tool round trip through the embedded MCP server: \(latencies.joined(separator: ", "))")

            // Twilio's final status callback closes the record.
            let completed =
                TestValues.incomingCallForm(callSid: Self.callSid).map {
                    $0.name == "CallStatus" ? (name: "CallStatus", value: "completed") : $0
                } + [("CallDuration", "9")]
            let answer = try await call.client.postForm(
                "/voice/status",
                fields: completed,
                signedFor: TestValues.publicBaseURL + "/voice/status"
            )
            #expect(answer.status == .ok || answer.status == .noContent)
            // The session writes the outcome as it ends, just after the stream closed.
            let record = try await Self.finishedRecord(call)
            #expect(record.caller == TestValues.callerNumber)
            #expect(record.statusHistory.map(\.status) == ["completed"])
            #expect(record.durationSeconds == 9)
            #expect(record.toolCalls.map(\.name) == ["check_availability", "create_booking", "send_confirmation"])
            let allOK = record.toolCalls.allSatisfy { $0.ok }
            #expect(allOK)
            #expect(
                record.transcript.filter { $0.speaker == "caller" }.map(\.text).first
                    == "Do you have a morning free for a two-bedroom?"
            )
            #expect(record.transcript.contains { $0.speaker == "assistant" && $0.text.contains("Goodbye") })
            #expect(record.inputTokens > 0)
            #expect(record.outputTokens > 0)
            #expect(record.costMicroDollars > 0)
            #expect(record.outcome == .booked)
            #expect(record.jobID == job.id)
            print("call record: \(record)")
        }
    }

    @Test func aBargeInDuringTheGoodbyeCancelsEndCall() async throws {
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 300),
                .functionCalls(
                    [ScriptedFunctionCall(name: "end_call", arguments: "{}")],
                    preamble: "Thank you for calling, have a wonderful move, goodbye!",
                    preambleMilliseconds: 2000
                ),
                .speech("Sorry, go ahead.", milliseconds: 400),
            ]
        )
        try await Self.withBookingCall(script: script) { call in
            let report = try await Self.caller(call.client, callSid: Self.callSid).call([
                .waitForPlayedAudio(milliseconds: 300), .speak(milliseconds: 400), .silence(milliseconds: 600),
                // Half a second into the goodbye, the caller speaks again.
                .waitForPlayedAudio(milliseconds: 800), .speak(milliseconds: 400), .silence(milliseconds: 600),
                .waitForPlayedAudioAfterClear(milliseconds: 400), .silence(milliseconds: 2500), .hangUp,
            ])
            let observed = call.realtime.observations
            let endCall = try #require(observed.functionCalls.first { $0.value.name == "end_call" }?.key)
            #expect(
                observed.functionOutputs == [
                    .init(callID: endCall, output: CallStateMachine.cancelledCallControlOutput)
                ]
            )
            // The caller hung up; the server never did, and never asked Twilio to.
            #expect(!report.serverClosedFirst)
            #expect(call.twilio.requests.isEmpty)
            #expect(report.clears.count == 1)
            #expect(try await Self.finishedRecord(call).outcome == .endedByCaller)
        }
    }

    @Test func transferToHumanDialsTheTransferNumberAfterSayingSo() async throws {
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 300),
                .functionCalls(
                    [ScriptedFunctionCall(name: "transfer_to_human", arguments: #"{"reason":"piano move quote"}"#)],
                    preamble: "Let me connect you to our dispatcher.",
                    preambleMilliseconds: 600
                ),
            ]
        )
        let environment = ["TRANSFER_NUMBER": "+12125550100", "TWILIO_PHONE_NUMBER": "+15005550006"]
        try await Self.withBookingCall(script: script, environment: environment) { call in
            let report = try await Self.caller(call.client, callSid: Self.callSid).call([
                .waitForPlayedAudio(milliseconds: 300), .speak(milliseconds: 400), .silence(milliseconds: 600),
                .waitForServerToEndCall(timeout: .seconds(10)),
            ])
            let offered = call.realtime.observations.sessionUpdates.first?["tools"]?.arrayValue?.compactMap {
                $0["name"]?.stringValue
            }
            #expect(offered?.contains("transfer_to_human") == true)
            let update = try #require(call.twilio.requests.first)
            #expect(call.twilio.requests.count == 1)
            #expect(update.resource == "Calls/\(Self.callSid).json")
            let twiml = try TwiMLElement.parse(try #require(update.form["Twiml"]))
            let dial = try #require(twiml.child("Dial"))
            #expect(dial.text == "+12125550100")
            #expect(dial.attributes["callerId"] == "+15005550006")
            #expect(update.form["Status"] == nil)
            #expect(report.playedMilliseconds(at: update.receivedAt) >= 900 - 20)
            #expect(report.serverClosedFirst)
            let record = try await Self.finishedRecord(call)
            #expect(record.outcome == .transferred)
            #expect(record.jobID == nil)
        }
    }

    @Test func aTransferTwilioRefusesIsToldToTheModelAndTheCallGoesOn() async throws {
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 300),
                .functionCalls(
                    [ScriptedFunctionCall(name: "transfer_to_human", arguments: "{}")],
                    preamble: "Connecting you now.",
                    preambleMilliseconds: 400
                ),
                .speech("Sorry, I could not connect you. May I take a message?", milliseconds: 500),
            ]
        )
        try await Self.withBookingCall(script: script, environment: ["TRANSFER_NUMBER": "+12125550100"]) { call in
            call.twilio.failNext(.init(status: 400, code: 21220, message: "Call is not in-progress"))
            let report = try await Self.caller(call.client, callSid: Self.callSid).call([
                .waitForPlayedAudio(milliseconds: 300), .speak(milliseconds: 400), .silence(milliseconds: 600),
                .waitForPlayedAudio(milliseconds: 1200), .waitForQuiet(milliseconds: 100), .hangUp,
            ])
            let observed = call.realtime.observations
            let transfer = try #require(observed.functionCalls.first { $0.value.name == "transfer_to_human" }?.key)
            let output = try #require(observed.functionOutputs.first { $0.callID == transfer }?.output)
            #expect(output.contains("did not go through"))
            // The apology after the failed transfer was heard, and the caller ended the call.
            #expect(report.playedMilliseconds >= 1200)
            #expect(!report.serverClosedFirst)
            #expect(call.twilio.requests.count == 1)
        }
    }

    /// The MCP server is down when the call starts: the known tools are still offered, their output says the
    /// system cannot be reached, the assistant goes on talking, and the client connects once the server is up.
    @Test func anMCPServerDownAtCallStartLeavesTheCallGoingAndIsReconnected() async throws {
        let port = try FreePort.find()
        let url = URL(string: "http://127.0.0.1:\(port)/mcp")!
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 300),
                .functionCalls([ScriptedFunctionCall(name: "check_availability", arguments: #"{"date":"tomorrow"}"#)]),
                .speech("Sorry, our booking system is down; can we call you back?", milliseconds: 500),
            ]
        )
        try await Self.withBookingCall(
            script: script,
            environment: ["MCP_SERVER_URL": url.absoluteString]
        ) { call in
            let report = try await Self.caller(call.client, callSid: Self.callSid).call([
                .waitForPlayedAudio(milliseconds: 300), .speak(milliseconds: 400), .silence(milliseconds: 600),
                .waitForPlayedAudio(milliseconds: 800), .waitForQuiet(milliseconds: 100), .hangUp,
            ])
            let observed = call.realtime.observations
            #expect(observed.functionOutputs.count == 1)
            #expect(observed.functionOutputs.first?.output.contains("cannot be reached") == true)
            // The assistant's answer after the tool was heard, and the caller ended the call.
            #expect(report.playedMilliseconds >= 800)
            #expect(!report.serverClosedFirst)

            // The booking system comes up where the client expects it: the client reconnects on its own.
            let provider = try #require(call.server.toolGateway)
            #expect(call.server.bookingSystem == nil)
            try await RemoteBookingToolsTests.serve(port: port, token: nil) {
                let reconnected = try await eventually(timeout: .seconds(20)) { await provider.isConnected }
                #expect(reconnected)
                let tool = ToolCall(
                    name: "get_job_details",
                    arguments: "{}",
                    callID: "c1",
                    callSid: Self.callSid,
                    callerNumber: TestValues.callerNumber
                )
                let jobs = try await provider.call(tool).output
                #expect(jobs.contains(#""jobs":[]"#))
                await provider.close()
            }
        }
    }
}

/// Issue 15: a booking whose answer the call never heard is still confirmed and counted.
extension CallTests {
    @Test func aCallerWhoHangsUpWhileTheBookingRunsPastItsDeadlineIsStillBookedTextedAndRecorded() async throws {
        let date = Self.openDate().iso
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help with your move?", milliseconds: 400),
                .functionCalls([Self.danasBooking(on: date)]),
                .speech("Sorry, that did not go through. Shall I try again?", milliseconds: 400),
            ],
            callerTranscripts: ["Book the morning for Dana Whitfield."]
        )
        // The tool's deadline (1 s) passes before the booking, slowed to 2 s, commits.
        let environment = ["TWILIO_PHONE_NUMBER": "+15005550006", "TOOL_TIMEOUT_SECONDS": "1"]
        try await Self.withBookingCall(
            script: script,
            environment: environment,
            bookingStore: { SlowBookingStore(base: $0, insertDelay: .seconds(2)) }
        ) { call in
            _ = try await Self.caller(call.client, callSid: Self.callSid).call([
                .waitForPlayedAudio(milliseconds: 400), .speak(milliseconds: 400), .silence(milliseconds: 600),
                .waitForPlayedAudio(milliseconds: 800), .hangUp,
            ])
            // The caller is gone before the booking commits.
            #expect(try await call.system.service.store.jobs(callSid: Self.callSid).isEmpty)
            let observed = call.realtime.observations
            // The model heard a failure, not the job.
            #expect(observed.functionOutputs.allSatisfy { Self.isError($0.output) })
            let record = try await Self.finishedRecord(call)
            #expect(record.outcome == .booked)
            let jobs = try await call.system.service.store.jobs(callSid: Self.callSid)
            #expect(jobs.count == 1)
            #expect(record.jobID == jobs.first?.id)
            // Its confirmation was queued when the call ended, and sent.
            _ = try await call.twilio.waitUntil { _ in !call.twilio.messages.isEmpty }
            #expect(call.twilio.messages.count == 1)
            #expect(call.twilio.messages.first?.body.contains(jobs.first?.id ?? "-") == true)
        }
    }
}
