import CallBridge
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import TwilioMedia
import TwilioWebhooks
import UpgradeRefusals
import WebSocketFrames

/// `WS /media-stream`: Twilio's bidirectional Media Stream for one call.
///
/// The controller only upgrades, checks and decodes. The upgrade is refused with `403` unless it carries a valid
/// `X-Twilio-Signature` for the stream URL (when a token is configured), and with `429` from an address that sent
/// too many bad signatures lately (``BadSignatureLimiter``, shared with the webhooks). The frames become checked Twilio messages
/// (``TwilioMessageStream``), and the call's ``CallSession`` runs the call from them; a message that breaks the
/// rules closes this stream only, with the reason logged.
package struct MediaStreamController: Sendable {
    /// Twilio's frames are well under 1 KiB; a larger message is not Twilio's.
    package static let maximumMessageBytes = 64 * 1024
    /// The WebSocket layer drops frames above this without telling the handler why, so it is set above
    /// ``maximumMessageBytes``: a message between the two is refused here, with the reason logged.
    package static let maximumFrameBytes = 4 * maximumMessageBytes

    /// The validator for the Twilio tokens held now; `nil` without `TWILIO_AUTH_TOKEN`.
    let validator: @Sendable () -> TwilioSignatureValidator?
    let urlResolver: PublicURLResolver
    let sessionFactory: CallSessionFactory
    /// Gives refused upgrades their status (`403`, `429`).
    let upgradeRefusals: UpgradeRefusals
    let limiter: BadSignatureLimiter
    let metrics: ServerMetrics
    /// Knows the live calls, to end them when a shutdown's drain time is up.
    let drain: CallDrain

    package func addRoutes(to router: Router<VoiceRequestContext>) {
        router.ws(
            RouterPath(stringLiteral: PublicURLResolver.mediaStreamPath),
            shouldUpgrade: shouldUpgrade,
            onUpgrade: handle
        )
    }

    @Sendable func shouldUpgrade(request: Request, context: VoiceRequestContext) throws -> RouterShouldUpgrade {
        let client = BadSignatureLimiter.clientAddress(peer: context.remoteAddress, headers: request.headers)
        if let wait = limiter.retryAfter(client) {
            metrics.refused(.tooManyBadSignatures)
            upgradeRefusals.refuse(context.connectionID, status: .tooManyRequests)
            throw HTTPError(.tooManyRequests, message: "Too many requests with bad signatures; retry in \(wait).")
        }
        guard let validator = validator() else {
            // Without TWILIO_AUTH_TOKEN nothing is checked: only a local tunnel, test or benchmark may connect.
            guard context.isFromLoopback else {
                refuse(client, context: context, "Refused an unsigned media stream from another machine")
                throw HTTPError(.forbidden, message: "Unsigned streams are accepted only from this machine.")
            }
            return .upgrade([:])
        }
        let url = urlResolver.streamURL(for: request)
        guard let signature = request.headers[twilioSignatureHeader],
            validator.isValid(signature: signature, streamURL: url)
        else {
            refuse(client, context: context, "Refused an unsigned or wrongly signed media stream")
            throw HTTPError(.forbidden, message: "Invalid X-Twilio-Signature.")
        }
        return .upgrade([:])
    }

    /// Counts, logs and answers `403` to a stream upgrade with a bad signature from `client`.
    private func refuse(_ client: String, context: VoiceRequestContext, _ message: Logger.Message) {
        metrics.refused(.badSignature)
        upgradeRefusals.refuse(context.connectionID, status: .forbidden)
        context.logger.warning(message, metadata: ["client": "\(client)"])
        limiter.recordFailure(client, logger: context.logger)
    }

    @Sendable func handle(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<VoiceRequestContext>
    ) async throws {
        let eventLoop = context.requestContext.eventLoop
        let logger = context.logger
        guard let channel = context.requestContext.channel else { return }
        // The call's tasks run on the stream's event loop, and its Realtime socket opens there: a frame goes
        // socket to socket on one thread.
        try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: eventLoop)) {
            let session = sessionFactory.makeSession(
                twilio: TwilioWebSocketWriter(
                    frames: WebSocketTextWriter(channel: channel, masking: false),
                    outbound: outbound
                ),
                eventLoop: eventLoop,
                logger: logger
            )
            eventLoop.execute {
                RelayReceiveBuffers.apply(to: channel)
                CallerAudioShortcut.install(on: channel, session: session)
            }
            let messages = TwilioMessageStream(
                frames: inbound.messages(maxSize: Self.maximumMessageBytes),
                validator: validator(),
                logger: logger
            )
            do {
                try await drain.tracking(session) { try await session.run(inbound: messages) }
            } catch let refused as CallRefused {
                metrics.refused(.mediaStream)
                logger.warning("Closing media stream", metadata: ["reason": "\(refused.reason)"])
                try await outbound.close(.policyViolation, reason: refused.reason)
            } catch let fault as MediaStreamFault {
                metrics.refused(.mediaStream)
                logger.warning("Closing media stream", metadata: ["reason": "\(fault.reason)"])
                // A close reason is limited to 123 bytes.
                try await outbound.close(fault.code, reason: String(fault.reason.utf8.prefix(120)) ?? "protocol error")
            } catch {
                logger.warning("Media stream failed", metadata: ["reason": "\(error)"])
                throw error
            }
        }
    }
}

/// The call's writer to Twilio: each message one text frame on the media stream, written straight onto the
/// connection (an assistant's audio and its mark leave in one system call); the close goes through the WebSocket
/// handler, which owns the closing handshake.
struct TwilioWebSocketWriter: TwilioStreamWriter {
    let frames: WebSocketTextWriter
    let outbound: WebSocketOutboundWriter

    func send(_ message: TwilioOutboundMessage) async throws {
        try await frames.write(message.jsonText)
    }

    func close() async {
        try? await outbound.close(.normalClosure, reason: nil)
    }
}
