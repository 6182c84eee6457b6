import Logging
import TwilioMedia

/// The server around the calls: what it does when a call starts and ends, and where each call's journal goes.
/// The session calls it at these edges only, never on the hot path.
package protocol CallHost: Sendable {
    /// Twilio's `start` arrived, checked: the call is on, unless this returns `nil` (the call already has a stream
    /// open), and then this stream is refused with ``CallRefused`` before any Realtime session opens.
    func callStarted(_ start: TwilioInboundMessage.Start, logger: Logger) async -> CallAdmission?
    /// The call's Realtime session is being opened (called before connecting), or is over.
    func realtimeSessionStarted() async
    func realtimeSessionEnded() async
    /// The call that started is over: its media stream is closing.
    func callEnded(_ start: TwilioInboundMessage.Start) async
}

/// A media stream the host refused: the owner closes it with `reason`.
package struct CallRefused: Error, CustomStringConvertible {
    package var reason: String
    package var description: String { reason }

    package init(reason: String) {
        self.reason = reason
    }
}

/// What the host tells a call that started.
package struct CallAdmission: Sendable {
    /// The caller's number, E.164, when Twilio gave one.
    package var callerNumber: String?
    /// Whether the carrier vouched for ``callerNumber``: Twilio's `StirVerstat` was `TN-Validation-Passed-A`.
    package var callerNumberVerified: Bool
    /// Where the call reports what happened on it; `nil` keeps nothing.
    package var journal: (any CallJournal)?

    package init(callerNumber: String?, callerNumberVerified: Bool = false, journal: (any CallJournal)?) {
        self.callerNumber = callerNumber
        self.callerNumberVerified = callerNumberVerified
        self.journal = journal
    }
}
