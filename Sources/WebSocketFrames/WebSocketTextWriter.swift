import NIOCore
import NIOWebSocket
import Synchronization

/// Writes text frames straight onto an upgraded WebSocket channel, for a relay that sends many small messages.
///
/// A frame written from the channel's own event loop goes into the channel's buffer at once, with no actor, no
/// async writer and no task switch in between, and the channel is flushed once at the end of the event-loop turn:
/// an assistant's audio and the mark after it leave in one system call. A client's frames are masked with keys from
/// a ``MaskingKeyGenerator`` rather than a system call each.
///
/// When the channel's buffer is over its high-water mark, a write waits until that frame is on the socket: a peer
/// that stops reading slows the writer down rather than filling memory. Writes from another thread are hopped onto
/// the event loop in order.
package final class WebSocketTextWriter: Sendable {
    package let channel: any Channel
    private let state: Mutex<State>

    private struct State {
        var masking: MaskingKeyGenerator?
        var flushScheduled = false
    }

    /// - Parameter masking: `true` on a client's socket: every frame is masked, as RFC 6455 requires of clients.
    package init(channel: any Channel, masking: Bool) {
        self.channel = channel
        self.state = Mutex(State(masking: masking ? MaskingKeyGenerator() : nil))
    }

    /// Sends `text` as one text frame. Throws if the channel is closed.
    package func write(_ text: String) async throws {
        let frame = makeFrame(opcode: .text, capacity: text.utf8.count) { $0.writeString(text) }
        try await write(frame)
    }

    /// Sends a close frame with `code` (and a reason of at most 123 bytes).
    package func writeClose(_ code: WebSocketErrorCode, reason: String? = nil) async throws {
        let frame = makeFrame(opcode: .connectionClose, capacity: 2 + 123) { buffer in
            buffer.write(webSocketErrorCode: code)
            if let reason { buffer.writeString(String(decoding: reason.utf8.prefix(123), as: UTF8.self)) }
        }
        try await channel.writeAndFlush(frame).get()
    }

    /// A frame of `opcode` with the payload `fill` writes (about `capacity` bytes), masked if need be.
    package func makeFrame(
        opcode: WebSocketOpcode,
        capacity: Int,
        _ fill: (inout ByteBuffer) -> Void
    ) -> WebSocketFrame {
        var buffer = channel.allocator.buffer(capacity: capacity)
        fill(&buffer)
        let maskKey = state.withLock { state -> WebSocketMaskingKey? in
            guard var generator = state.masking else { return nil }
            defer { state.masking = generator }
            return .random(using: &generator)
        }
        return WebSocketFrame(fin: true, opcode: opcode, maskKey: maskKey, data: buffer)
    }

    private func write(_ frame: WebSocketFrame) async throws {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        guard channel.eventLoop.inEventLoop, channel.isWritable else {
            try await channel.writeAndFlush(frame).get()
            return
        }
        channel.write(frame, promise: nil)
        let scheduleFlush = state.withLock { state in
            defer { state.flushScheduled = true }
            return !state.flushScheduled
        }
        guard scheduleFlush else { return }
        channel.eventLoop.execute {
            self.state.withLock { $0.flushScheduled = false }
            self.channel.flush()
        }
    }
}
