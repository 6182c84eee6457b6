import Logging
import NIOCore
import NIOWebSocket

/// The service's events, decoded. An event that cannot be read is logged and skipped, never fatal.
///
/// The frames come whole (fragments joined) and without control frames, which ``RealtimeControlFrameHandler``
/// answers on the event loop.
package struct RealtimeServerEvents: AsyncSequence, Sendable {
    package typealias Element = RealtimeServerEvent

    let inbound: NIOAsyncChannelInboundStream<WebSocketFrame>
    let logger: Logger

    package struct AsyncIterator: AsyncIteratorProtocol {
        var frames: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator
        let logger: Logger

        package mutating func next() async throws -> RealtimeServerEvent? {
            try await nextWithArrival()?.event
        }

        /// The next event, and when its frame arrived (before it was decoded), to time what the server does with it.
        package mutating func nextWithArrival() async throws -> (
            event: RealtimeServerEvent, arrivedAt: ContinuousClock.Instant
        )? {
            while let frame = try await frames.next() {
                let arrivedAt = ContinuousClock.now
                guard frame.opcode == .text else {
                    logger.debug("Skipped a binary Realtime frame")
                    continue
                }
                let text = String(buffer: frame.unmaskedData)
                do {
                    return (try RealtimeServerEvent.decode(text), arrivedAt)
                } catch {
                    logger.warning("Skipped an unreadable Realtime event", metadata: ["reason": "\(error)"])
                }
            }
            return nil
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(frames: inbound.makeAsyncIterator(), logger: logger)
    }
}
