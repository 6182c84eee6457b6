import Booking
import BookingServer
import Foundation
import RealtimeAPI
import Synchronization
import Testing
import VoiceTesting

@testable import VoiceServer

/// A whole call (fake Realtime service, fake Twilio, the real server and booking system): a caller asking about
/// another customer's move hears nothing of it and cannot change it, until they read back the code texted to that
/// move's phone (issue 13).
extension CallTests {
    static let ownerNumber = "+12125550143"

    @Test func aCallerReachesAnotherCustomersMoveOnlyWithTheCodeTextedToItsPhone() async throws {
        let call = { (name: String, arguments: String) in
            ScriptedResponse.functionCalls([ScriptedFunctionCall(name: name, arguments: arguments)])
        }
        let job = #""job_id":"{{other_job}}""#
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 400),
                call("get_job_details", "{\(job)}"),
                .speech("That booking is under another number.", milliseconds: 400),
                call("update_job_status", #"{\#(job),"action":"cancel"}"#),
                .speech("I can't cancel it.", milliseconds: 400),
                call("send_confirmation", #"{\#(job),"phone":"\#(TestValues.callerNumber)","resend":true}"#),
                .speech("I can't text it to you.", milliseconds: 400),
                call("send_verification_code", "{\(job)}"),
                .speech("Please read me the code.", milliseconds: 400),
                call("check_verification_code", #"{\#(job),"code":"{{texted_code}}"}"#),
                .speech("Thank you.", milliseconds: 400),
                call("update_job_status", #"{\#(job),"action":"cancel"}"#),
                .speech("It is cancelled.", milliseconds: 400),
                .functionCalls(
                    [ScriptedFunctionCall(name: "end_call", arguments: "{}")],
                    preamble: "Goodbye!",
                    preambleMilliseconds: 400
                ),
            ]
        )
        let otherJob = Mutex<String?>(nil)
        try await Self.withBookingCall(
            script: script,
            environment: ["TWILIO_PHONE_NUMBER": "+15005550006"],
            callerKnowledge: { name, twilio in
                switch name {
                case "other_job": return otherJob.withLock { $0 }
                case "texted_code":
                    // The caller holds the owner's phone in this story, and reads the code from it.
                    let text = twilio.messages.last { $0.to == Self.ownerNumber }?.body ?? ""
                    return text.split(separator: " ").map { $0.filter(\.isNumber) }.first { $0.count == 6 }
                default: return nil
                }
            }
        ) { call in
            let service = try call.system.service
            let owned = try await service.createBooking(
                BookingService.BookingRequest(
                    customerName: "Margaret Okafor",
                    phone: Self.ownerNumber,
                    pickupAddress: "88 Sycamore Lane, Apt 5",
                    dropoffAddress: "9 Harbor View Rd",
                    date: Self.openDate().iso,
                    window: .morning,
                    homeSize: .twoBedroom
                )
            ).job
            otherJob.withLock { $0 = owned.id }

            var steps: [SimulatedCaller.Step] = []
            for played in stride(from: 400, through: 2800, by: 400) {
                steps += [
                    .waitForPlayedAudio(milliseconds: played), .speak(milliseconds: 300), .silence(milliseconds: 600),
                ]
            }
            steps.append(.waitForServerToEndCall(timeout: .seconds(20)))
            _ = try await Self.caller(call.client, callSid: Self.callSid).call(steps)

            let observed = call.realtime.observations
            #expect(observed.violations.isEmpty, "\(observed.violations)")
            let outputs = observed.functionOutputs.map { (observed.functionCalls[$0.callID]?.name ?? "?", $0.output) }
            #expect(
                outputs.map(\.0) == [
                    "get_job_details", "update_job_status", "send_confirmation", "send_verification_code",
                    "check_verification_code", "update_job_status",
                ]
            )
            guard outputs.count == 6 else { return }
            // Before the code: three refusals, none with a word of the other customer's move.
            for (name, output) in outputs.prefix(3) {
                #expect(Self.isError(output), "\(name) should have been refused: \(output)")
                for detail in ["Margaret", "Okafor", "Sycamore", "Harbor", Self.ownerNumber, "0143"] {
                    #expect(!output.contains(detail), "\(name) revealed \(detail): \(output)")
                }
            }
            // The code went to the move's phone, and only there; nothing went to the caller's number.
            #expect(!Self.isError(outputs[3].1), "\(outputs[3].1)")
            #expect(outputs[3].1.contains("0143"))
            #expect(call.twilio.messages.map(\.to) == [Self.ownerNumber])
            // With the code read back: the caller hears the move and may cancel it, recorded as this call's doing.
            #expect(!Self.isError(outputs[4].1), "\(outputs[4].1)")
            #expect(outputs[4].1.contains("Sycamore"))
            #expect(!Self.isError(outputs[5].1), "\(outputs[5].1)")
            let after = try await service.job(id: owned.id)
            #expect(after.status == .cancelled)
            #expect(after.updatedBy == Self.callSid)
        }
    }

    /// A caller may cancel a move booked under their own number only when the carrier vouched for that number
    /// (`StirVerstat` `TN-Validation-Passed-A`, carried into the stream and bound by its token).
    @Test(arguments: [nil, "TN-Validation-Passed-B", "TN-Validation-Passed-A"])
    func cancellingYourOwnMoveNeedsANumberTheCarrierVouchedFor(stirVerstat: String?) async throws {
        let script = FakeRealtimeScript(
            responses: [
                .speech("NYC Quick Movers, how can I help?", milliseconds: 400),
                .functionCalls([
                    ScriptedFunctionCall(
                        name: "update_job_status",
                        arguments: #"{"job_id":"{{own_job}}","action":"cancel"}"#
                    )
                ]),
                .speech("Done.", milliseconds: 400),
            ]
        )
        let ownJob = Mutex<String?>(nil)
        try await Self.withBookingCall(
            script: script,
            callerKnowledge: { name, _ in name == "own_job" ? ownJob.withLock { $0 } : nil }
        ) { call in
            let service = try call.system.service
            let job = try await service.bookTestMove()
            #expect(job.phone == TestValues.callerNumber)
            ownJob.withLock { $0 = job.id }
            _ = try await Self.caller(call.client, callSid: Self.callSid, stirVerstat: stirVerstat).call([
                .waitForPlayedAudio(milliseconds: 400), .speak(milliseconds: 300), .silence(milliseconds: 600),
                .waitForPlayedAudio(milliseconds: 800), .hangUp,
            ])
            let output = try #require(call.realtime.observations.functionOutputs.first?.output)
            let after = try await service.job(id: job.id)
            if stirVerstat == VoiceWebhookController.fullAttestation {
                #expect(!Self.isError(output), "\(output)")
                #expect(after.status == .cancelled)
                #expect(after.updatedBy == Self.callSid)
            } else {
                #expect(Self.isError(output))
                #expect(output.contains("code"))
                #expect(after.status == job.status)
            }
        }
    }
}
