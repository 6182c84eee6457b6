import Booking
import BookingSQL
import Foundation
import Logging
import OutboxDelivery
import SQLStorage
import Testing
import TwilioREST
import VoiceTesting

/// The sender against a real SQLite outbox and the fake Twilio API: every confirmation is sent exactly once,
/// whatever fails on the way.
@Suite(.timeLimit(.minutes(1)))
struct OutboxSenderTests {
    static let accountSid = "AC" + String(repeating: "a", count: 32)
    static let authToken = "outbox-test-token"
    static let from = "+15005550006"
    static let logger = Logger(label: "outbox-tests")

    struct Setup: Sendable {
        var store: SQLBookingStore
        var service: BookingService
        var sender: OutboxSender
        var twilio: FakeTwilioREST
        var job: Job
        /// Another sender on the same outbox, as after a restart.
        var makeSender: @Sendable () -> OutboxSender
    }

    static func withOutbox(
        twilioEnabled: Bool = true,
        maximumAttempts: Int = 5,
        _ body: @Sendable (Setup) async throws -> Void
    ) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID()).sqlite").path
        let storage = try await SQLStorage.sqlite(path: path, logger: logger)
        let store = SQLBookingStore(storage: storage, logger: logger)
        let policy = BookingPolicy.standard()
        try await store.prepare(crews: policy.crews, trucks: policy.trucks)
        do {
            try await FakeTwilioREST.run(accountSid: accountSid, authToken: authToken) { twilio in
                let client = TwilioRESTClient(baseURL: twilio.baseURL, accountSid: accountSid, secret: authToken)
                var configuration = OutboxSender.Configuration(from: from, statusCallback: nil)
                configuration.firstRetryDelay = .milliseconds(20)
                configuration.maximumRetryDelay = .milliseconds(50)
                configuration.pollInterval = .milliseconds(20)
                // A sender started after a crash looks up what was left claimed straight away.
                configuration.claimTimeout = .zero
                configuration.maximumAttempts = maximumAttempts
                let senderConfiguration = configuration
                let makeSender: @Sendable () -> OutboxSender = {
                    OutboxSender(
                        store: store,
                        twilio: twilioEnabled ? client : nil,
                        configuration: senderConfiguration,
                        logger: logger
                    )
                }
                let sender = makeSender()
                let service = BookingService(store: store, policy: policy, businessName: "NYC Quick Movers")
                var date = service.today.adding(days: 2)
                while date.weekday == .sunday { date = date.adding(days: 1) }
                let (job, _) = try await service.createBooking(
                    .init(
                        customerName: "Dana Whitfield",
                        phone: "+14155552671",
                        pickupAddress: "12 Grand St, Brooklyn",
                        dropoffAddress: "400 W 57th St, Manhattan",
                        date: date.iso,
                        window: .morning,
                        homeSize: .twoBedroom
                    )
                )
                try await body(
                    Setup(
                        store: store,
                        service: service,
                        sender: sender,
                        twilio: twilio,
                        job: job,
                        makeSender: makeSender
                    )
                )
            }
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
    }

    static func confirmation(_ setup: Setup, resend: Bool = false) async throws -> OutboxMessage {
        try await setup.service.confirmation(jobID: setup.job.id, resend: resend).message
    }

    static func stored(_ setup: Setup, _ message: OutboxMessage) async throws -> OutboxMessage {
        try #require(try await setup.store.outboxMessage(id: message.id))
    }

    @Test func aConfirmationIsSentOnceHoweverOftenItIsAskedFor() async throws {
        try await Self.withOutbox { setup in
            let message = try await Self.confirmation(setup)
            #expect(await setup.sender.deliver(messageID: message.id) == .accepted)
            // Asked again, by the tool and by the background loop, and by ten at once.
            #expect(try await Self.confirmation(setup).id == message.id)
            #expect(await setup.sender.deliver(messageID: message.id) == .unchanged(status: "queued"))
            await setup.sender.sendDue()
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<10 { group.addTask { _ = await setup.makeSender().deliver(messageID: message.id) } }
            }
            #expect(setup.twilio.messages.count == 1)
            let sent = try #require(setup.twilio.messages.first)
            #expect(sent.to == "+14155552671")
            #expect(sent.from == Self.from)
            #expect(sent.body.contains(setup.job.id))
            let row = try await Self.stored(setup, message)
            #expect(row.twilioSid == sent.sid)
            #expect(row.status == "queued")
            #expect(row.attempts == 1)
        }
    }

    @Test func tenSendersRacingForANewMessageSendItOnce() async throws {
        try await Self.withOutbox { setup in
            let message = try await Self.confirmation(setup)
            let outcomes = await withTaskGroup(of: DeliveryOutcome.self) { group in
                for _ in 0..<10 { group.addTask { await setup.makeSender().deliver(messageID: message.id) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .accepted }.count == 1)
            #expect(setup.twilio.messages.count == 1)
        }
    }

    @Test func aResendTheCallerAskedForIsSentAgain() async throws {
        try await Self.withOutbox { setup in
            let first = try await Self.confirmation(setup)
            _ = await setup.sender.deliver(messageID: first.id)
            let second = try await Self.confirmation(setup, resend: true)
            #expect(second.sequence == 2)
            #expect(await setup.sender.deliver(messageID: second.id) == .accepted)
            #expect(setup.twilio.messages.count == 2)
            let rows = [try await Self.stored(setup, first), try await Self.stored(setup, second)]
            #expect(Set(rows.compactMap(\.twilioSid)) == Set(setup.twilio.messages.map(\.sid)))
        }
    }

    @Test func rateLimitedThenAcceptedMeansOneText() async throws {
        try await Self.withOutbox { setup in
            setup.twilio.failNext(.init(status: 429, code: 20429, message: "Too Many Requests"))
            let message = try await Self.confirmation(setup)
            guard case .willRetry = await setup.sender.deliver(messageID: message.id) else {
                Issue.record("a 429 should mean trying again later")
                return
            }
            let waiting = try await Self.stored(setup, message)
            #expect(waiting.status == "pending")
            #expect(waiting.nextAttemptAt != nil)
            #expect(waiting.lastError?.contains("429") == true)
            try await Task.sleep(for: .milliseconds(40))
            await setup.sender.sendDue()
            #expect(setup.twilio.messages.count == 1)
            #expect(try await Self.stored(setup, message).status == "queued")
        }
    }

    @Test(arguments: [
        (21211, DeliveryRefusal.invalidNumber), (21610, .optedOut), (21614, .notMobile), (21606, .other),
    ])
    func aRefusedNumberFailsAtOnceAndIsNeverRetried(code: Int, refusal: DeliveryRefusal) async throws {
        try await Self.withOutbox { setup in
            setup.twilio.failNext(.init(status: 400, code: code, message: "refused"))
            let message = try await Self.confirmation(setup)
            #expect(await setup.sender.deliver(messageID: message.id) == .refused(refusal, detail: "refused"))
            let row = try await Self.stored(setup, message)
            #expect(row.status == "failed")
            #expect(row.lastError?.contains("\(code)") == true)
            await setup.sender.sendDue()
            #expect(setup.twilio.messages.isEmpty)
            #expect(setup.twilio.requests.count == 1)
        }
    }

    /// Twilio sent the text but answered 500: the sender finds it at Twilio instead of sending it again.
    @Test func anErrorAfterTwilioSentItDoesNotSendItTwice() async throws {
        try await Self.withOutbox { setup in
            setup.twilio.failNextAfterSending(.init(status: 500, message: "Internal Server Error"))
            let message = try await Self.confirmation(setup)
            #expect(await setup.sender.deliver(messageID: message.id) == .accepted)
            #expect(setup.twilio.messages.count == 1)
            #expect(try await Self.stored(setup, message).twilioSid == setup.twilio.messages.first?.sid)
        }
    }

    /// The sender dies after Twilio accepted the text and before it wrote the SID down; the next sender looks the
    /// message up at Twilio and adopts it.
    @Test func aSenderThatCrashesBetweenSendingAndRecordingIsNotRepeatedByTheNext() async throws {
        try await Self.withOutbox { setup in
            let message = try await Self.confirmation(setup)
            setup.twilio.holdMessageAnswers(true)
            let crashing = Task { await setup.sender.deliver(messageID: message.id) }
            while setup.twilio.messages.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            crashing.cancel()
            _ = await crashing.value
            setup.twilio.holdMessageAnswers(false)
            #expect(try await Self.stored(setup, message).status == "claimed")

            let restarted = setup.makeSender()
            let running = Task { try await restarted.run() }
            _ = try await eventually { try await Self.stored(setup, message).twilioSid != nil }
            running.cancel()
            #expect(setup.twilio.messages.count == 1)
            #expect(try await Self.stored(setup, message).twilioSid == setup.twilio.messages.first?.sid)
        }
    }

    /// Twilio reports on the message while the sender still waits for Twilio's answer to the send: the report,
    /// kept by the route, is applied once the SID is saved, not lost.
    @Test func aDeliveryReportThatCameBeforeTheSIDWasSavedIsApplied() async throws {
        try await Self.withOutbox { setup in
            let message = try await Self.confirmation(setup)
            setup.twilio.holdMessageAnswers(true)
            let sending = Task { await setup.sender.deliver(messageID: message.id) }
            while setup.twilio.messages.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            let sid = try #require(setup.twilio.messages.first?.sid)
            try await setup.store.keepDeliveryReport(
                DeliveryReport(twilioSid: sid, status: "delivered", error: nil, receivedAt: Date())
            )
            setup.twilio.holdMessageAnswers(false)
            #expect(await sending.value == .accepted)
            let row = try await Self.stored(setup, message)
            #expect(row.twilioSid == sid)
            #expect(row.status == "delivered")
            #expect(try await setup.store.takeDeliveryReport(twilioSid: sid) == nil)
        }
    }

    @Test func aMessageThatKeepsFailingIsGivenUpWithTheReason() async throws {
        try await Self.withOutbox(maximumAttempts: 3) { setup in
            setup.twilio.failNext(.init(status: 503, message: "Service Unavailable"), count: 10)
            let message = try await Self.confirmation(setup)
            _ = try await eventually(every: .milliseconds(30)) {
                await setup.sender.sendDue()
                return try await Self.stored(setup, message).status == "failed"
            }
            let row = try await Self.stored(setup, message)
            #expect(row.status == "failed")
            #expect(row.attempts == 3)
            #expect(row.lastError?.contains("gave up after 3 attempts") == true)
            #expect(setup.twilio.messages.isEmpty)
        }
    }

    @Test func withoutCredentialsTheMessageStaysUnsentWithTheReason() async throws {
        try await Self.withOutbox(twilioEnabled: false) { setup in
            let message = try await Self.confirmation(setup)
            #expect(await setup.sender.deliver(messageID: message.id) == .disabled)
            let row = try await Self.stored(setup, message)
            #expect(row.status == "disabled")
            #expect(row.lastError?.contains("SMS disabled") == true)
            #expect(setup.twilio.requests.isEmpty)
        }
    }

    /// Plain GSM-7 text in at most two segments (306 characters), with everything the customer needs.
    @Test func theMessageIsPlainTextInTwoSegmentsAtMost() async throws {
        try await Self.withOutbox { setup in
            let body = try await Self.confirmation(setup).body
            let plain = body.unicodeScalars.allSatisfy { $0.isASCII }
            #expect(plain)
            #expect(body.count <= 306)
            for part in [
                setup.job.id, setup.job.date.weekday.name, "morning", "12 Grand St", "400 W 57th St", "$",
                "NYC Quick Movers",
            ] {
                #expect(body.contains(part), "missing \(part) in \(body)")
            }
        }
    }
}
