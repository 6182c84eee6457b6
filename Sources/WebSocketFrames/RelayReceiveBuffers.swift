import NIOCore

/// The receive buffers of a relayed socket, sized for its small messages.
///
/// SwiftNIO's default allocator starts at 2 KiB and doubles whenever a read fills the buffer, up to 64 KiB; a
/// channel keeps its buffer while any frame read into it is still held. Under load (several frames waiting per
/// read) a call's two sockets grew to about 30 KiB of buffers that stayed (issue 18, measured with heaptrack). The
/// relay's messages are 300 bytes to 2 KiB, so reads start at 1 KiB and never grow past 8 KiB: a larger message (a
/// rare `session.updated`) takes a few more reads instead.
package enum RelayReceiveBuffers {
    package static var allocator: AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 256, initial: 1024, maximum: 8 * 1024)
    }

    /// Sets the allocator on `channel`, from its event loop.
    package static func apply(to channel: any Channel) {
        try? channel.syncOptions?.setOption(.recvAllocator, value: allocator)
    }
}
