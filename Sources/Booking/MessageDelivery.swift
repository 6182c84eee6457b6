/// Sends an outbox message now, for a tool that must tell the caller at once whether their number takes texts.
package protocol MessageDelivery: Sendable {
    func deliver(messageID: String) async -> DeliveryOutcome
    /// Sends `body` to `recipient` now, once, without writing it anywhere: for a one-time code, which must not be
    /// kept. `.willRetry` here means it was not sent (nothing retries it).
    func sendNow(to recipient: String, body: String) async -> DeliveryOutcome
}

/// What became of an attempt to send one outbox message.
package enum DeliveryOutcome: Sendable, Equatable {
    /// Twilio accepted it; delivery reports follow.
    case accepted
    /// Not sent yet (Twilio busy or unreachable); it will be tried again.
    case willRetry(reason: String)
    /// Not sent, and trying again will not help.
    case refused(DeliveryRefusal, detail: String)
    /// Texts are switched off: there are no Twilio credentials.
    case disabled
    /// Someone else has it, or it was handled before: its current status.
    case unchanged(status: String)
}

package enum DeliveryRefusal: Sendable, Equatable {
    /// Not a valid phone number (Twilio 21211).
    case invalidNumber
    /// The recipient replied STOP (Twilio 21610).
    case optedOut
    /// A landline, which cannot receive texts (Twilio 21614).
    case notMobile
    /// Anything else: credentials, configuration, too many attempts.
    case other
}
