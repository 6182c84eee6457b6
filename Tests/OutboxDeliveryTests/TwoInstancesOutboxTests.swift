import Booking
import BookingSQL
import Foundation
import Logging
import OutboxDelivery
import SQLStorage
import Testing
import TwilioREST
import VoiceTesting

/// Issue 15: two instances' senders on one PostgreSQL outbox.
@Suite(.timeLimit(.minutes(1)))
struct TwoInstancesOutboxTests {
    /// The first send fails with `500`; the retry's request is in flight for 6 s (Twilio has not taken it yet). The
    /// other instance's sender must not take the live claim for abandoned, look the message up, find nothing and
    /// send it again.
    @Test func aClaimInFlightIsNotTakenOverByTheOtherInstanceAndOneTextGoesOut() async throws {
        try await TestDatabase.postgres.withStorages(2) { storages in
            let policy = BookingPolicy.standard()
            let stores = storages.map { SQLBookingStore(storage: $0, logger: OutboxSenderTests.logger) }
            for store in stores { try await store.prepare(crews: policy.crews, trucks: policy.trucks) }
            try await FakeTwilioREST.run(
                accountSid: OutboxSenderTests.accountSid,
                authToken: OutboxSenderTests.authToken
            ) { twilio in
                let client = TwilioRESTClient(
                    baseURL: twilio.baseURL,
                    accountSid: OutboxSenderTests.accountSid,
                    secret: OutboxSenderTests.authToken
                )
                var configuration = OutboxSender.Configuration(from: OutboxSenderTests.from, statusCallback: nil)
                configuration.firstRetryDelay = .milliseconds(20)
                configuration.pollInterval = .milliseconds(20)
                // The default lease: longer than a live send can take.
                configuration.claimTimeout = .seconds(30)
                let senders = stores.map {
                    OutboxSender(
                        store: $0,
                        twilio: client,
                        configuration: configuration,
                        logger: OutboxSenderTests.logger
                    )
                }
                let service = BookingService(store: stores[0], policy: policy, businessName: "NYC Quick Movers")
                let job = try await service.bookTestMove()
                twilio.failNext(.init(status: 500, message: "Internal Server Error"))
                twilio.holdMessageRequests(true)
                let message = try await service.confirmation(jobID: job.id, resend: false).message
                let running = senders.map { sender in Task { try await sender.run() } }
                try await Task.sleep(for: .seconds(6))
                twilio.holdMessageRequests(false)
                _ = try await eventually(timeout: .seconds(10)) {
                    try await stores[1].outboxMessage(id: message.id)?.twilioSid != nil
                }
                // Both senders go on polling a while: nothing more goes out.
                try await Task.sleep(for: .seconds(1))
                for task in running { task.cancel() }
                #expect(twilio.messages.count == 1)
                let row = try await stores[0].outboxMessage(id: message.id)
                #expect(row?.twilioSid == twilio.messages.first?.sid)
                #expect(row?.attempts == 2)
            }
        }
    }
}
