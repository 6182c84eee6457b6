import CallBridge
import CoreMetrics
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import TwilioMedia
import TwilioWebhooks

/// `WS /media-stream`: Twilio's bidirectional Media Stream for one call.
///
/// The upgrade is refused with `403` unless it carries a valid `X-Twilio-Signature` for the stream URL (when a
/// token is configured). Each frame is decoded into a ``TwilioInboundMessage`` and checked by a
/// ``MediaStreamStateMachine``; anything malformed closes this stream only, with the reason logged. At `start`
/// the call's ``CallSession`` opens its Realtime session in a child task; the stream and the session end together.
package struct MediaStreamController: Sendable {
    /// Twilio's frames are well under 1 KiB; a larger message is not Twilio's.
    package static let maximumMessageBytes = 64 * 1024
    /// The WebSocket layer drops frames above this without telling the handler why, so it is set above
    /// ``maximumMessageBytes``: a message between the two is refused here, with the reason logged.
    package static let maximumFrameBytes = 4 * maximumMessageBytes

    let validator: TwilioSignatureValidator?
    let urlResolver: PublicURLResolver
    let callRegistry: CallRegistry
    let sessionFactory: CallSessionFactory
    var callMetrics: CallMetrics { sessionFactory.metrics }

    package func addRoutes(to router: Router<VoiceRequestContext>) {
        router.ws(
            RouterPath(stringLiteral: PublicURLResolver.mediaStreamPath),
            shouldUpgrade: shouldUpgrade,
            onUpgrade: handle
        )
    }

    @Sendable func shouldUpgrade(request: Request, context: VoiceRequestContext) throws -> RouterShouldUpgrade {
        guard let validator else { return .upgrade([:]) }
        let url = urlResolver.streamURL(for: request)
        guard let signature = request.headers[twilioSignatureHeader],
            validator.isValid(signature: signature, streamURL: url)
        else {
            context.logger.warning("Refused an unsigned or wrongly signed media stream", metadata: ["url": "\(url)"])
            throw HTTPError(.forbidden, message: "Invalid X-Twilio-Signature.")
        }
        return .upgrade([:])
    }

    @Sendable func handle(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<VoiceRequestContext>
    ) async throws {
        let eventLoop = context.requestContext.eventLoop
        try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: eventLoop)) {
            try await relay(inbound: inbound, outbound: outbound, eventLoop: eventLoop, logger: context.logger)
        }
    }

    private func relay(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        eventLoop: any EventLoop,
        logger: Logger
    ) async throws {
        var stream = StreamState(logger: logger, eventLoop: eventLoop)
        try await withThrowingTaskGroup(of: Void.self) { callTasks in
            do {
                try await read(inbound: inbound, outbound: outbound, stream: &stream, callTasks: &callTasks)
            } catch {
                stream.logger.warning("Media stream failed", metadata: ["reason": "\(error)"])
                callTasks.cancelAll()
                await end(stream)
                throw error
            }
            // The stream is over: so is the Realtime session and every tool call.
            callTasks.cancelAll()
            await end(stream)
        }
    }

    private struct StreamState {
        var machine = MediaStreamStateMachine()
        var logger: Logger
        /// Where the call's Realtime socket is opened: the stream's own event loop.
        let eventLoop: any EventLoop
        var mediaFrames = 0
        var session: CallSession?
        /// Set once the call is registered as streaming, so it is unregistered exactly once.
        var registeredCallSid: String?
    }

    private func read(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        stream: inout StreamState,
        callTasks: inout ThrowingTaskGroup<Void, any Error>
    ) async throws {
        for try await message in inbound.messages(maxSize: Self.maximumMessageBytes) {
            let arrivedAt = ContinuousClock.now
            guard case .text(let text) = message else {
                try await close(outbound, .unacceptableData, reason: "binary frame", stream: stream)
                return
            }
            guard text.utf8.count <= Self.maximumMessageBytes else {
                let reason = "message of \(text.utf8.count) bytes is over the \(Self.maximumMessageBytes)-byte limit"
                try await close(outbound, .messageTooLarge, reason: reason, stream: stream)
                return
            }
            let decoded: TwilioInboundMessage
            do {
                decoded = try TwilioInboundMessage.decode(text)
            } catch {
                try await close(outbound, .dataInconsistentWithMessage, reason: error.description, stream: stream)
                return
            }
            switch stream.machine.receive(decoded) {
            case .start(let start):
                stream.logger[metadataKey: "call_sid"] = "\(start.callSid)"
                stream.logger[metadataKey: "stream_sid"] = "\(start.streamSid)"
                if let validator {
                    let token = start.customParameters[VoiceWebhookController.StreamParameter.streamToken] ?? ""
                    guard validator.isValid(streamToken: token, callSid: start.callSid) else {
                        try await close(
                            outbound,
                            .policyViolation,
                            reason: "stream token does not match",
                            stream: stream
                        )
                        return
                    }
                }
                await callRegistry.streamStarted(callSid: start.callSid, streamSid: start.streamSid)
                stream.registeredCallSid = start.callSid
                let caller = start.customParameters[VoiceWebhookController.StreamParameter.from]
                stream.logger.info("Media stream started", metadata: ["from": "\(MaskedPhoneNumber(caller))"])
                let session = sessionFactory.makeSession(
                    start: start,
                    callerNumber: caller,
                    twilio: TwilioWebSocketWriter(outbound: outbound),
                    eventLoop: stream.eventLoop,
                    logger: stream.logger
                )
                stream.session = session
                callTasks.addTask {
                    await callRegistry.realtimeSessionStarted()
                    await session.runRealtime()
                    await callRegistry.realtimeSessionEnded()
                }
            case .deliver(let message):
                guard case .media = message else {
                    await stream.session?.receiveFromTwilio(message)
                    continue
                }
                stream.mediaFrames += 1
                if await stream.session?.receiveFromTwilio(message) == .relayed {
                    callMetrics.callerAudioRelay.recordElapsed(since: arrivedAt)
                }
            case .ignore(let reason):
                stream.logger.debug("Media stream message ignored", metadata: ["reason": "\(reason)"])
            case .stop:
                stream.logger.info("Media stream stopped", metadata: ["media_frames": "\(stream.mediaFrames)"])
                try await outbound.close(.normalClosure, reason: nil)
                return
            case .fail(let reason):
                try await close(outbound, .protocolError, reason: reason, stream: stream)
                return
            }
        }
        if stream.session?.isFinished == true {
            stream.logger.info(
                "Media stream closed after the call ended",
                metadata: ["media_frames": "\(stream.mediaFrames)"]
            )
        } else {
            // Twilio sends `stop` before closing; without one the peer vanished or broke the WebSocket protocol.
            stream.logger.warning(
                "Media stream ended without stop",
                metadata: ["media_frames": "\(stream.mediaFrames)"]
            )
        }
    }

    private func close(
        _ outbound: WebSocketOutboundWriter,
        _ code: WebSocketErrorCode,
        reason: String,
        stream: StreamState
    ) async throws {
        stream.logger.warning("Closing media stream", metadata: ["reason": "\(reason)"])
        // A close reason is limited to 123 bytes.
        try await outbound.close(code, reason: String(reason.utf8.prefix(120)) ?? "protocol error")
    }

    private func end(_ stream: StreamState) async {
        if let callSid = stream.registeredCallSid {
            await callRegistry.streamEnded(callSid: callSid)
        }
    }
}

/// The call's writer to Twilio: each message one text frame on the media stream.
struct TwilioWebSocketWriter: TwilioStreamWriter {
    let outbound: WebSocketOutboundWriter

    func send(_ message: TwilioOutboundMessage) async throws {
        try await outbound.write(.text(message.jsonText))
    }

    func close() async {
        try? await outbound.close(.normalClosure, reason: nil)
    }
}
