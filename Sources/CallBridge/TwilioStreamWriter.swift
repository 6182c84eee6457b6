import TwilioMedia

/// The call's way back to Twilio: media, marks and clears on the stream, and closing it.
package protocol TwilioStreamWriter: Sendable {
    func send(_ message: TwilioOutboundMessage) async throws
    /// Ends the media stream. Twilio then runs the TwiML after `</Connect>` (the apology), unless the call was
    /// already ended or redirected.
    func close() async
}
