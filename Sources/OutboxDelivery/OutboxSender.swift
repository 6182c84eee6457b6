import Booking
import Foundation
import Logging
import ServiceLifecycle
import TwilioREST

/// Sends the outbox's text messages through Twilio, each exactly once, as a service beside the server.
///
/// A message is claimed (compare-and-set `pending → claimed`) before it is sent, so two senders never send the same
/// row, and its Twilio SID is written the moment Twilio accepts it. Twilio has no idempotency key for messages, so
/// after any failure that leaves it unknown whether Twilio sent the text (a 5xx, a timeout, a crash while
/// `claimed`), the sender looks the message up at Twilio and adopts it if it is there, before it would send again.
/// `429` means not processed: tried again later, with a growing pause. A refused number fails at once, and the
/// outcome goes back to the tool that asked, so the assistant can ask for another number.
package actor OutboxSender: Service, MessageDelivery {
    package struct Configuration: Sendable {
        /// Our Twilio number, `TWILIO_PHONE_NUMBER`.
        package var from: String
        /// `PUBLIC_BASE_URL` + `/sms/status`, when there is a public URL.
        package var statusCallback: String?
        /// After this many attempts a message fails for good.
        package var maximumAttempts = 5
        /// The pause after the first failed attempt; it doubles with each attempt, up to `maximumRetryDelay`.
        package var firstRetryDelay: Duration = .seconds(2)
        package var maximumRetryDelay: Duration = .seconds(60)
        /// How often the outbox is read for messages that are due.
        package var pollInterval: Duration = .seconds(1)
        /// A message left `claimed` this long (its sender crashed) is looked up at Twilio. Longer than a live sender
        /// can hold a claim (a send and a lookup, 10 s each at most), so that another instance's send in progress
        /// is never taken for a crash.
        package var claimTimeout: Duration = .seconds(30)

        package init(from: String, statusCallback: String?) {
            self.from = from
            self.statusCallback = statusCallback
        }
    }

    private let store: any BookingStore
    /// `nil` without Twilio credentials: messages are marked `disabled`, and stay unsent.
    private let twilio: TwilioRESTClient?
    private let configuration: Configuration
    private let logger: Logger
    private let now: @Sendable () -> Date

    package init(
        store: any BookingStore,
        twilio: TwilioRESTClient?,
        configuration: Configuration,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.twilio = twilio
        self.configuration = configuration
        self.logger = logger
        self.now = now
    }

    // MARK: Service

    /// Sends due messages until graceful shutdown, and looks up messages a crashed sender left `claimed`.
    package func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await sendDue()
            await resolveClaimed(olderThan: configuration.claimTimeout)
            try? await Task.sleep(for: configuration.pollInterval)
        }
    }

    /// Tries every pending message whose time has come.
    package func sendDue() async {
        do {
            for message in try await store.outboxMessages(status: OutboxMessage.Status.pending, dueBy: now(), limit: 50)
            {
                _ = await deliver(messageID: message.id)
            }
        } catch {
            logger.error("Outbox not readable", metadata: ["reason": "\(error)"])
        }
    }

    // MARK: One message

    package func deliver(messageID: String) async -> DeliveryOutcome {
        do {
            guard let message = try await store.outboxMessage(id: messageID) else {
                return .refused(.other, detail: "no such message")
            }
            guard message.status == OutboxMessage.Status.pending else { return .unchanged(status: message.status) }
            guard let twilio else {
                var disabled = message
                disabled.status = OutboxMessage.Status.disabled
                disabled.lastError =
                    "SMS disabled: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER are not all set"
                disabled.updatedAt = now()
                _ = try await store.updateOutboxMessage(disabled, expectedStatus: OutboxMessage.Status.pending)
                return .disabled
            }
            var claim = message
            claim.status = OutboxMessage.Status.claimed
            claim.attempts += 1
            claim.updatedAt = now()
            // The claim's lease: until then no other sender (another instance's) takes it for abandoned.
            claim.nextAttemptAt = now().addingTimeInterval(configuration.claimTimeout.seconds)
            guard let claimed = try await store.updateOutboxMessage(claim, expectedStatus: message.status) else {
                return .unchanged(status: (try? await store.outboxMessage(id: messageID))?.status ?? "unknown")
            }
            return try await send(claimed, through: twilio)
        } catch {
            logger.error("Outbox message not handled", metadata: ["message_id": "\(messageID)", "reason": "\(error)"])
            return .willRetry(reason: "the outbox could not be updated")
        }
    }

    /// Sends a text that is not in the outbox (a one-time code, which must not be stored), once. Nothing retries
    /// it: `.willRetry` says it was not sent, and the caller can ask for another.
    package func sendNow(to recipient: String, body: String) async -> DeliveryOutcome {
        guard let twilio else { return .disabled }
        do {
            let sent = try await twilio.sendMessage(
                to: recipient,
                from: configuration.from,
                body: body,
                statusCallback: nil
            )
            logger.info("Text message accepted by Twilio", metadata: ["twilio_sid": "\(sent.sid)", "kind": "code"])
            return .accepted
        } catch let error as TwilioRESTError {
            switch error.kind {
            case .invalidNumber: return .refused(.invalidNumber, detail: error.message)
            case .unsubscribed: return .refused(.optedOut, detail: error.message)
            case .notMobile: return .refused(.notMobile, detail: error.message)
            case .other: return .refused(.other, detail: error.message)
            case .rateLimited, .serverError: return .willRetry(reason: "\(error)")
            }
        } catch {
            return .willRetry(reason: "\(error)")
        }
    }

    private func send(_ claimed: OutboxMessage, through twilio: TwilioRESTClient) async throws -> DeliveryOutcome {
        let sent: TwilioRESTClient.Message
        do {
            sent = try await twilio.sendMessage(
                to: claimed.recipient,
                from: configuration.from,
                body: claimed.body,
                statusCallback: configuration.statusCallback
            )
        } catch let error as TwilioRESTError {
            switch error.kind {
            case .rateLimited:
                // Not processed: safe to send again later.
                return try await retryLater(claimed, reason: "\(error)")
            case .serverError:
                return try await resolve(claimed, after: "\(error)", through: twilio)
            case .invalidNumber:
                return try await fail(claimed, .invalidNumber, error)
            case .unsubscribed:
                return try await fail(claimed, .optedOut, error)
            case .notMobile:
                return try await fail(claimed, .notMobile, error)
            case .other:
                return try await fail(claimed, .other, error)
            }
        } catch {
            // A timeout or a broken connection: Twilio may have sent it.
            return try await resolve(claimed, after: "\(error)", through: twilio)
        }
        // Recorded first of all: with the SID stored, no later attempt can send this message again.
        try await record(claimed, sid: sent.sid, status: sent.status)
        logger.info(
            "Text message accepted by Twilio",
            metadata: ["message_id": "\(claimed.id)", "job_id": "\(claimed.jobID)", "twilio_sid": "\(sent.sid)"]
        )
        return .accepted
    }

    /// After a failure that leaves it unknown whether Twilio sent the message: adopt it if Twilio has it, otherwise
    /// try again later.
    private func resolve(
        _ claimed: OutboxMessage,
        after failure: String,
        through twilio: TwilioRESTClient
    ) async throws -> DeliveryOutcome {
        let claimedAt = claimed.updatedAt ?? claimed.createdAt
        do {
            let candidates = try await twilio.messages(
                to: claimed.recipient,
                from: configuration.from,
                sentOnOrAfter: claimedAt.addingTimeInterval(-86_400)
            )
            for candidate in candidates where candidate.body == claimed.body {
                // Twilio's clock has seconds; allow for that, and for a small skew.
                if let created = candidate.dateCreated.flatMap(Self.rfc2822), created < claimedAt.addingTimeInterval(-5)
                {
                    continue
                }
                // A resend has the same text: never adopt a message another row already owns.
                guard try await store.outboxMessage(twilioSid: candidate.sid) == nil else { continue }
                try await record(claimed, sid: candidate.sid, status: candidate.status)
                logger.info(
                    "Text message found at Twilio after an unclear failure; not sent again",
                    metadata: [
                        "message_id": "\(claimed.id)", "twilio_sid": "\(candidate.sid)", "failure": "\(failure)",
                    ]
                )
                return .accepted
            }
        } catch {
            // Unknown still: stay claimed, and look again later.
            var later = claimed
            later.lastError = "\(failure); lookup failed: \(error)"
            later.nextAttemptAt = now().addingTimeInterval(retryDelay(after: claimed.attempts).seconds)
            later.updatedAt = claimed.updatedAt
            _ = try await store.updateOutboxMessage(later, expectedStatus: OutboxMessage.Status.claimed)
            return .willRetry(reason: failure)
        }
        return try await retryLater(claimed, reason: failure)
    }

    private func record(_ claimed: OutboxMessage, sid: String, status: String) async throws {
        var accepted = claimed
        accepted.twilioSid = sid
        accepted.status = status
        accepted.lastError = nil
        accepted.nextAttemptAt = nil
        accepted.updatedAt = now()
        // A status callback can only follow once the SID is known, so normally nothing else changes a claimed row.
        // If something did (a sender that took this one for crashed), the SID is still written: it must not be lost.
        var stored = try await store.updateOutboxMessage(accepted, expectedStatus: OutboxMessage.Status.claimed)
        if stored == nil, let current = try await store.outboxMessage(id: claimed.id), current.twilioSid == nil {
            stored = try await store.updateOutboxMessage(accepted, expectedStatus: current.status)
        }
        // A delivery report that came before the SID was saved is applied now.
        guard var message = stored, let report = try await store.takeDeliveryReport(twilioSid: sid),
            OutboxMessage.progress(of: report.status) > OutboxMessage.progress(of: message.status)
        else { return }
        let before = message.status
        message.status = report.status
        if let error = report.error { message.lastError = error }
        message.updatedAt = now()
        _ = try await store.updateOutboxMessage(message, expectedStatus: before)
    }

    private func retryLater(_ claimed: OutboxMessage, reason: String) async throws -> DeliveryOutcome {
        guard claimed.attempts < configuration.maximumAttempts else {
            var failed = claimed
            failed.status = OutboxMessage.Status.failed
            failed.lastError = "gave up after \(claimed.attempts) attempts: \(reason)"
            failed.updatedAt = now()
            _ = try await store.updateOutboxMessage(failed, expectedStatus: OutboxMessage.Status.claimed)
            logger.error("Text message given up", metadata: ["message_id": "\(claimed.id)", "reason": "\(reason)"])
            return .refused(.other, detail: failed.lastError ?? reason)
        }
        var pending = claimed
        pending.status = OutboxMessage.Status.pending
        pending.lastError = reason
        pending.nextAttemptAt = now().addingTimeInterval(retryDelay(after: claimed.attempts).seconds)
        pending.updatedAt = now()
        _ = try await store.updateOutboxMessage(pending, expectedStatus: OutboxMessage.Status.claimed)
        logger.warning(
            "Text message not sent yet; trying again",
            metadata: ["message_id": "\(claimed.id)", "attempt": "\(claimed.attempts)", "reason": "\(reason)"]
        )
        return .willRetry(reason: reason)
    }

    private func fail(
        _ claimed: OutboxMessage,
        _ refusal: DeliveryRefusal,
        _ error: TwilioRESTError
    ) async throws -> DeliveryOutcome {
        var failed = claimed
        failed.status = OutboxMessage.Status.failed
        failed.lastError = "\(error)"
        failed.updatedAt = now()
        _ = try await store.updateOutboxMessage(failed, expectedStatus: OutboxMessage.Status.claimed)
        logger.warning(
            "Text message refused by Twilio",
            metadata: ["message_id": "\(claimed.id)", "code": "\(error.code.map(String.init) ?? "none")"]
        )
        return .refused(refusal, detail: error.message)
    }

    /// Looks up messages left `claimed` (by a crash, or an unclear failure) whose time has come.
    private func resolveClaimed(olderThan age: Duration) async {
        guard let twilio else { return }
        do {
            let cutoff = now().addingTimeInterval(-age.seconds)
            for message in try await store.outboxMessages(status: OutboxMessage.Status.claimed, dueBy: now(), limit: 50)
            where (message.updatedAt ?? message.createdAt) <= cutoff || message.nextAttemptAt != nil {
                _ = try await resolve(message, after: "left claimed by an earlier attempt", through: twilio)
            }
        } catch {
            logger.error("Claimed outbox messages not resolved", metadata: ["reason": "\(error)"])
        }
    }

    private func retryDelay(after attempts: Int) -> Duration {
        var delay = configuration.firstRetryDelay
        for _ in 1..<max(attempts, 1) where delay < configuration.maximumRetryDelay { delay *= 2 }
        return min(delay, configuration.maximumRetryDelay)
    }

    private static func rfc2822(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.date(from: text)
    }
}

extension Duration {
    fileprivate var seconds: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}

extension Task where Success == Never, Failure == Never {
    fileprivate static var isCancelledOrShuttingDown: Bool {
        isCancelled || isShuttingDownGracefully
    }
}
