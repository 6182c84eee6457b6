/// Why the server turned a call, a media stream or a request away: the `reason` label of `voice_refusals_total`.
package enum Refusal: String, Sendable, CaseIterable {
    /// Every line was taken (`MAX_CONCURRENT_CALLS`).
    case busy
    /// The caller's number called too often in the last hour (`MAX_CALLS_PER_NUMBER_PER_HOUR`).
    case tooManyCallsFromNumber = "too_many_calls_from_number"
    /// A webhook for another Twilio account.
    case wrongAccount = "wrong_account"
    /// A webhook or stream upgrade without a valid `X-Twilio-Signature`, or unsigned from another machine.
    case badSignature = "bad_signature"
    /// An address that sent too many bad signatures, answered `429` for a while.
    case tooManyBadSignatures = "too_many_bad_signatures"
    /// A media stream closed by the server: a wrong or expired stream token, a second stream for a call, no `start`
    /// in time, a message that breaks the stream's rules.
    case mediaStream = "media_stream"
    /// A call that came while the server was shutting down: sent to `DRAIN_REDIRECT_URL`, or told the lines are busy.
    case draining
}
