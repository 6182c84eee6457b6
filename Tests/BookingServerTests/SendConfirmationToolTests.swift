import Booking
import BookingMCP
import BookingSQL
import BookingServer
import Foundation
import Logging
import MCP
import Testing
import VoiceTesting

/// `send_confirmation` as the assistant sees it: sent once, and a number that cannot take texts is named at once.
struct SendConfirmationToolTests {
    static func withBookingTools(
        environment extra: [String: String] = ["TWILIO_PHONE_NUMBER": "+15005550006"],
        _ test: @escaping @Sendable (BookingSystem, FakeTwilioREST, Job) async throws -> Void
    ) async throws {
        let accountSid = "AC0123456789abcdef0123456789abcdef"
        let authToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
        try await FakeTwilioREST.run(accountSid: accountSid, authToken: authToken) { twilio in
            var environment = [
                "TWILIO_ACCOUNT_SID": accountSid, "TWILIO_AUTH_TOKEN": authToken,
                "TWILIO_API_BASE_URL": twilio.baseURL.absoluteString,
            ]
            environment.merge(extra) { $1 }
            var logger = Logger(label: "send-confirmation-tests")
            logger.logLevel = .error
            try await withTemporaryBookingSystem(environment: environment, logger: logger) { system in
                try await test(system, twilio, try await system.service.bookTestMove())
            }
        }
    }

    static func sendConfirmation(
        _ system: BookingSystem,
        _ job: Job,
        extra: [String: Value] = [:]
    ) async -> (isError: Bool, text: String) {
        var arguments: [String: Value] = ["job_id": .string(job.id)]
        arguments.merge(extra) { $1 }
        let result = await system.endpoint.toolbox.call(
            CallTool.Parameters(name: "send_confirmation", arguments: arguments)
        )
        let text = result.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }.joined()
        return (result.isError == true, text)
    }

    @Test func calledTwiceItSendsOneText() async throws {
        try await Self.withBookingTools { system, twilio, job in
            let first = await Self.sendConfirmation(system, job)
            let second = await Self.sendConfirmation(system, job)
            #expect(!first.isError)
            #expect(first.text.contains(#""status":"queued""#))
            #expect(second.text.contains(#""already_sent":true"#))
            #expect(twilio.messages.count == 1)
            // Asked for again by the caller: a second text.
            let resent = await Self.sendConfirmation(system, job, extra: ["resend": true])
            #expect(resent.text.contains(#""sequence":2"#))
            #expect(twilio.messages.count == 2)
        }
    }

    @Test func anInvalidNumberIsNamedAndAnotherNumberCanBeGiven() async throws {
        try await Self.withBookingTools { system, twilio, job in
            twilio.failNext(.init(status: 400, code: 21211, message: "The 'To' number is not a valid phone number."))
            let refused = await Self.sendConfirmation(system, job)
            #expect(refused.isError)
            #expect(refused.text.contains("ending 2671 is not a valid number for texts"))
            #expect(twilio.messages.isEmpty)
            // The caller gives another number: it goes there.
            let retried = await Self.sendConfirmation(system, job, extra: ["phone": "(415) 555-0199"])
            #expect(!retried.isError)
            #expect(retried.text.contains(#""to_last_digits":"0199""#))
            #expect(twilio.messages.map(\.to) == ["+14155550199"])
        }
    }

    @Test func aLandlineIsNamedWithWhatToDoInstead() async throws {
        try await Self.withBookingTools { system, twilio, job in
            twilio.failNext(.init(status: 400, code: 21614, message: "'To' number is not a valid mobile number"))
            let refused = await Self.sendConfirmation(system, job)
            #expect(refused.isError)
            #expect(refused.text.contains("landline"))
        }
    }

    /// Twilio is slow: the tool answers after a few seconds that the text is on its way, and the sending goes on
    /// and is recorded when Twilio answers.
    @Test func aSlowTwilioDoesNotHoldTheToolUpOrLoseTheText() async throws {
        try await Self.withBookingTools { system, twilio, job in
            twilio.holdMessageAnswers(true)
            let started = ContinuousClock.now
            let result = await Self.sendConfirmation(system, job)
            #expect(ContinuousClock.now - started < .seconds(6))
            #expect(!result.isError)
            #expect(result.text.contains("in a moment"))
            #expect(twilio.messages.count == 1)
            twilio.holdMessageAnswers(false)
            let messageID = try #require(
                try await system.store.latestOutboxMessage(jobID: job.id, kind: BookingService.confirmationKind)?.id
            )
            _ = try await eventually { try await system.store.outboxMessage(id: messageID)?.twilioSid != nil }
            #expect(try await system.store.outboxMessage(id: messageID)?.twilioSid == twilio.messages.first?.sid)
        }
    }

    @Test func withoutATwilioNumberTheToolSaysTextsAreOff() async throws {
        try await Self.withBookingTools(environment: [:]) { system, twilio, job in
            let result = await Self.sendConfirmation(system, job)
            #expect(!result.isError)
            #expect(result.text.contains("Texts are switched off"))
            #expect(result.text.contains(#""status":"disabled""#))
            #expect(twilio.requests.isEmpty)
        }
    }
}
