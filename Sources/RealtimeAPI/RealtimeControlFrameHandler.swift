import NIOCore
import NIOWebSocket
import WebSocketFrames

/// Answers the Realtime service's control frames on the socket's event loop, so that only whole text and binary
/// messages reach the session: a ping gets its pong, a close gets its close and the socket is closed (as a client
/// does once both sides have said so), and a frame that breaks the protocol closes the socket with `1002`. Every
/// frame it sends is masked, as a client's must be.
final class RealtimeControlFrameHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var masking = MaskingKeyGenerator()
    /// This side has sent its close frame.
    private var closeSent = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            context.fireChannelRead(data)
        case .ping:
            guard frame.fin, frame.length <= 125 else { return fail(context: context) }
            send(.pong, payload: frame.unmaskedData, context: context)
        case .pong:
            break
        case .connectionClose:
            if !closeSent {
                // Echo the status code, as RFC 6455 asks; then the connection is done.
                var payload = frame.unmaskedData
                let code = payload.readableBytes >= 2 ? payload.readSlice(length: 2) : nil
                send(.connectionClose, payload: code ?? context.channel.allocator.buffer(capacity: 0), context: context)
            }
            context.close(promise: nil)
        default:
            fail(context: context)
        }
    }

    /// Notes the session's own close frame, so that the service's answer is not answered again.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if unwrapOutboundIn(data).opcode == .connectionClose { closeSent = true }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A frame too large, or fragments that do not add up: the session cannot go on.
        fail(context: context)
    }

    private func send(_ opcode: WebSocketOpcode, payload: ByteBuffer, context: ChannelHandlerContext) {
        if opcode == .connectionClose { closeSent = true }
        let frame = WebSocketFrame(
            fin: true,
            opcode: opcode,
            maskKey: .random(using: &masking),
            data: payload
        )
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func fail(context: ChannelHandlerContext) {
        var code = context.channel.allocator.buffer(capacity: 2)
        code.write(webSocketErrorCode: .protocolError)
        if !closeSent { send(.connectionClose, payload: code, context: context) }
        context.close(promise: nil)
    }
}
