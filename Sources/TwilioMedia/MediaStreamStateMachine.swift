/// The order rules of a Media Stream, as a plain value: feed it each decoded message, act on what it returns.
///
/// Twilio sends `connected`, then `start`, then `media`/`mark`/`dtmf`, then `stop`. A message that needs the
/// stream (`media`, `mark`, `dtmf`, `stop`) before `start`, a second `start`, or a message for another stream is a
/// protocol violation and ends this stream only.
package struct MediaStreamStateMachine: Sendable {
    private enum State: Sendable {
        case awaitingStart
        case streaming(TwilioInboundMessage.Start)
        case stopped
    }

    package enum Action: Sendable, Equatable {
        /// The stream began: open the call session.
        case start(TwilioInboundMessage.Start)
        /// Hand the message (`media`, `mark` or `dtmf`) to the call session.
        case deliver(TwilioInboundMessage)
        /// Nothing to do; `reason` says why, for a debug log.
        case ignore(reason: String)
        /// Twilio ended the stream: end the call session and close.
        case stop(TwilioInboundMessage.Stop)
        /// A protocol violation: close this stream with `reason`.
        case fail(reason: String)
    }

    private var state: State = .awaitingStart

    package init() {}

    /// The `start` message, once the stream has started.
    package var start: TwilioInboundMessage.Start? {
        if case .streaming(let start) = state { start } else { nil }
    }

    package mutating func receive(_ message: TwilioInboundMessage) -> Action {
        switch (state, message) {
        case (_, .connected):
            return .ignore(reason: "connected")
        case (_, .unknown(let event)):
            return .ignore(reason: "unknown event \(event)")
        case (.awaitingStart, .start(let start)):
            state = .streaming(start)
            return .start(start)
        case (.awaitingStart, _):
            return .fail(reason: "\(message.event) before start")
        case (.streaming, .start):
            return .fail(reason: "second start")
        case (.streaming(let start), _) where message.streamSid != start.streamSid:
            return .fail(reason: "\(message.event) for another stream")
        case (.streaming, .stop(let stop)):
            state = .stopped
            return .stop(stop)
        case (.streaming, _):
            return .deliver(message)
        case (.stopped, _):
            return .ignore(reason: "\(message.event) after stop")
        }
    }
}
