import CallBridge
import NIOCore
import NIOWebSocket
import TwilioMedia

/// The caller's audio frames taken off the media stream's pipeline on its event loop and written straight to the
/// call's Realtime session (``CallSession/relayCallerAudioDirectly(_:arrivedAt:)``), 50 a second per call, with no
/// async sequence, task switch or second decoding in between. Every other frame, and a media frame the session
/// cannot take at once (before its session is open, out of order, for another stream), goes on up the pipeline to
/// the ordinary path (``TwilioMessageStream``), which checks and handles it as before.
final class CallerAudioShortcut: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    /// Let go of once the handler leaves the pipeline: the call holds the channel, and must not be held by it.
    private var session: CallSession?

    init(session: CallSession) {
        self.session = session
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        session = nil
    }

    /// Adds the shortcut right after the media stream's frame decoder; does nothing on a pipeline without one.
    static func install(on channel: any Channel, session: CallSession) {
        let pipeline = channel.pipeline.syncOperations
        guard let decoder = try? pipeline.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self) else {
            return
        }
        try? pipeline.addHandler(CallerAudioShortcut(session: session), position: .after(decoder))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let session, frame.opcode == .text, frame.fin, frame.length <= MediaStreamController.maximumMessageBytes
        else {
            return context.fireChannelRead(data)
        }
        let arrivedAt = ContinuousClock.now
        let message = frame.unmaskedData.withUnsafeReadableBytes { bytes in
            TwilioInboundMessage.decodeHotPath(bytes.bindMemory(to: UInt8.self))
        }
        guard case .media(let media) = message, session.relayCallerAudioDirectly(media, arrivedAt: arrivedAt) else {
            return context.fireChannelRead(data)
        }
    }
}
