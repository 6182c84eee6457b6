import CallBridge
import Foundation
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import TwilioMedia

/// The media stream's frames as checked Twilio messages: each text frame decoded, the order enforced by a
/// ``MediaStreamStateMachine``, and the stream token of `start` checked, with the time it was issued. Anything else ends the sequence with a
/// ``MediaStreamFault`` that says how to close the stream.
struct TwilioMessageStream: AsyncSequence, Sendable {
    typealias Element = TwilioArrival

    let frames: WebSocketInboundMessageStream
    /// `nil` in development without `TWILIO_AUTH_TOKEN`: the stream token is not checked.
    let validator: TwilioSignatureValidator?
    let logger: Logger

    /// How old a stream token may be at `start`: Twilio opens the stream within seconds of the webhook.
    static let tokenLifetime: TimeInterval = 300

    func makeAsyncIterator() -> Iterator {
        Iterator(frames: frames.makeAsyncIterator(), validator: validator, logger: logger)
    }

    struct Iterator: AsyncIteratorProtocol {
        var frames: WebSocketInboundMessageStream.AsyncIterator
        let validator: TwilioSignatureValidator?
        let logger: Logger
        var machine = MediaStreamStateMachine()

        mutating func next() async throws -> TwilioArrival? {
            while let frame = try await frames.next() {
                let arrivedAt = ContinuousClock.now
                guard case .text(let text) = frame else {
                    throw MediaStreamFault(code: .unacceptableData, reason: "binary frame")
                }
                guard text.utf8.count <= MediaStreamController.maximumMessageBytes else {
                    throw MediaStreamFault(
                        code: .messageTooLarge,
                        reason: "message of \(text.utf8.count) bytes is over the "
                            + "\(MediaStreamController.maximumMessageBytes)-byte limit"
                    )
                }
                let message: TwilioInboundMessage
                do {
                    message = try TwilioInboundMessage.decode(text)
                } catch {
                    throw MediaStreamFault(code: .dataInconsistentWithMessage, reason: error.description)
                }
                switch machine.receive(message) {
                case .start(let start):
                    if let validator {
                        var bound = start.customParameters
                        let token = bound.removeValue(forKey: VoiceWebhookController.StreamParameter.streamToken) ?? ""
                        guard validator.isValid(streamToken: token, callSid: start.callSid, parameters: bound) else {
                            throw MediaStreamFault(code: .policyViolation, reason: "stream token does not match")
                        }
                        // A stream starts seconds after its webhook: an old token is a recorded stream replayed.
                        let issued = bound[VoiceWebhookController.StreamParameter.issuedAt].flatMap(Double.init)
                        guard let issued,
                            abs(Date().timeIntervalSince1970 - issued) <= TwilioMessageStream.tokenLifetime
                        else {
                            throw MediaStreamFault(code: .policyViolation, reason: "stream token has expired")
                        }
                    }
                    return TwilioArrival(message, arrivedAt: arrivedAt)
                case .deliver(let message):
                    return TwilioArrival(message, arrivedAt: arrivedAt)
                case .stop(let stop):
                    return TwilioArrival(.stop(stop), arrivedAt: arrivedAt)
                case .ignore(let reason):
                    logger.debug("Media stream message ignored", metadata: ["reason": "\(reason)"])
                case .fail(let reason):
                    throw MediaStreamFault(code: .protocolError, reason: reason)
                }
            }
            return nil
        }
    }
}

/// A media stream that broke the rules: closed with `code` and `reason`.
struct MediaStreamFault: Error, CustomStringConvertible {
    var code: WebSocketErrorCode
    var reason: String
    var description: String { reason }
}
