import TwilioMedia

/// A message from Twilio's media stream, decoded and checked to be in order (`start`, then `media`, `mark` and
/// `dtmf`, then `stop`), with when its frame arrived, for the relay's latency.
package struct TwilioArrival: Sendable {
    package var message: TwilioInboundMessage
    package var arrivedAt: ContinuousClock.Instant

    package init(_ message: TwilioInboundMessage, arrivedAt: ContinuousClock.Instant) {
        self.message = message
        self.arrivedAt = arrivedAt
    }
}
