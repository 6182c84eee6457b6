import NIOCore
import NIOWebSocket
import Synchronization

/// Writes text frames straight onto an upgraded WebSocket channel, for a relay that sends many small messages.
///
/// A frame written from the channel's own event loop is encoded here, header and (masked) payload in one buffer,
/// and goes into the channel's buffer at once below SwiftNIO's frame encoder: no actor, no async writer, no task
/// switch, no second buffer for the header, no copy for the mask. The channel is flushed once at the end of the
/// event-loop turn, so an assistant's audio and the mark after it leave in one system call. A client's frames are
/// masked with keys from a ``MaskingKeyGenerator`` rather than a system call each.
///
/// When the channel's buffer is over its high-water mark, a write waits until that frame is on the socket: a peer
/// that stops reading slows the writer down rather than filling memory. Writes from another thread go through the
/// pipeline's encoder, hopped onto the event loop in order.
package final class WebSocketTextWriter: Sendable {
    package let channel: any Channel
    private let state: Mutex<State>

    private struct State: @unchecked Sendable {
        var masking: MaskingKeyGenerator?
        var flushScheduled = false
        /// The frame encoder's place in the pipeline: frames encoded here are written from it, past it. Found on
        /// the first write and only used on the event loop (hence unchecked).
        var belowEncoder: ChannelHandlerContext?
        var lookedForEncoder = false
    }

    /// - Parameter masking: `true` on a client's socket: every frame is masked, as RFC 6455 requires of clients.
    package init(channel: any Channel, masking: Bool) {
        self.channel = channel
        self.state = Mutex(State(masking: masking ? MaskingKeyGenerator() : nil))
    }

    /// Sends `text` as one text frame. Throws if the channel is closed.
    package func write(_ text: String) async throws {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        guard writeNow(text) else {
            let frame = makeFrame(opcode: .text, capacity: text.utf8.count) { $0.writeString(text) }
            try await channel.writeAndFlush(frame).get()
            return
        }
    }

    /// Whether ``writeNow(_:)`` would write: on the channel's event loop, with the channel open and under its
    /// high-water mark.
    package var canWriteNow: Bool {
        channel.eventLoop.inEventLoop && channel.isActive && channel.isWritable
    }

    /// Sends `text` as one text frame at once, from the channel's event loop, flushed at the end of the turn;
    /// `false` (nothing written) when ``canWriteNow`` is not so.
    @discardableResult
    package func writeNow(_ text: String) -> Bool {
        guard canWriteNow else { return false }
        let (context, maskKey, scheduleFlush) = state.withLock { state in
            if !state.lookedForEncoder {
                state.lookedForEncoder = true
                state.belowEncoder = try? channel.pipeline.syncOperations.context(
                    handlerType: WebSocketFrameEncoder.self
                )
            }
            let key = state.masking == nil ? nil : Self.nextKey(&state.masking)
            defer { state.flushScheduled = true }
            return (state.belowEncoder, key, !state.flushScheduled)
        }
        if let context {
            context.write(
                NIOAny(Self.encodeTextFrame(text, maskKey: maskKey, allocator: channel.allocator)),
                promise: nil
            )
        } else {
            var payload = channel.allocator.buffer(capacity: text.utf8.count)
            payload.writeString(text)
            channel.write(WebSocketFrame(fin: true, opcode: .text, maskKey: maskKey, data: payload), promise: nil)
        }
        if scheduleFlush {
            channel.eventLoop.execute {
                self.state.withLock { $0.flushScheduled = false }
                self.channel.flush()
            }
        }
        return true
    }

    /// Sends a close frame with `code` (and a reason of at most 123 bytes).
    package func writeClose(_ code: WebSocketErrorCode, reason: String? = nil) async throws {
        let frame = makeFrame(opcode: .connectionClose, capacity: 2 + 123) { buffer in
            buffer.write(webSocketErrorCode: code)
            if let reason { buffer.writeString(String(decoding: reason.utf8.prefix(123), as: UTF8.self)) }
        }
        try await channel.writeAndFlush(frame).get()
    }

    /// A frame of `opcode` with the payload `fill` writes (about `capacity` bytes), for SwiftNIO's encoder to
    /// encode (and mask, if need be).
    func makeFrame(opcode: WebSocketOpcode, capacity: Int, _ fill: (inout ByteBuffer) -> Void) -> WebSocketFrame {
        var buffer = channel.allocator.buffer(capacity: capacity)
        fill(&buffer)
        let maskKey = state.withLock { state in state.masking == nil ? nil : Self.nextKey(&state.masking) }
        return WebSocketFrame(fin: true, opcode: opcode, maskKey: maskKey, data: buffer)
    }

    private static func nextKey(_ generator: inout MaskingKeyGenerator?) -> WebSocketMaskingKey {
        var drawn = generator ?? MaskingKeyGenerator()
        defer { generator = drawn }
        return .random(using: &drawn)
    }

    /// `text` as one final text frame on the wire (RFC 6455, section 5.2): the header, the masking key if any, and
    /// the payload masked with it.
    static func encodeTextFrame(
        _ text: String,
        maskKey: WebSocketMaskingKey?,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        let length = text.utf8.count
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        var buffer = allocator.buffer(capacity: 14 + length)
        buffer.writeInteger(UInt8(0x81))  // FIN, text
        switch length {
        case ..<126:
            buffer.writeInteger(maskBit | UInt8(length))
        case ...0xFFFF:
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(length))
        default:
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(length))
        }
        guard let maskKey else {
            buffer.writeString(text)
            return buffer
        }
        buffer.writeBytes(maskKey)
        let payloadStart = buffer.writerIndex - buffer.readerIndex
        buffer.writeString(text)
        buffer.withUnsafeMutableReadableBytes { bytes in
            for index in payloadStart..<bytes.count {
                bytes[index] ^= maskKey[(index - payloadStart) & 3]
            }
        }
        return buffer
    }
}
