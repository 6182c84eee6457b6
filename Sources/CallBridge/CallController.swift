/// Acts on the phone call itself, through Twilio's REST API.
package protocol CallController: Sendable {
    /// Ends the call. A call that is already over counts as ended.
    func hangUp(callSid: String) async throws
    /// Hands the call to the company's transfer number.
    func transfer(callSid: String) async throws
}
