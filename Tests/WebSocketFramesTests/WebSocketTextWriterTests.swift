import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
import WebSocketFrames

/// The relay's frame writer: one flush per event-loop turn, masked keys that differ.
@Suite struct WebSocketTextWriterTests {
    /// An active channel with SwiftNIO's frame encoder, as an upgraded WebSocket has.
    static func makeChannel() async throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
        return channel
    }

    /// Decodes what the channel wrote as WebSocket frames.
    static func frames(writtenBy channel: EmbeddedChannel) throws -> [WebSocketFrame] {
        var bytes = ByteBuffer()
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&buffer) }
        let decoder = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
        try decoder.writeInbound(bytes)
        var frames: [WebSocketFrame] = []
        while let frame = try decoder.readInbound(as: WebSocketFrame.self) { frames.append(frame) }
        return frames
    }

    @Test func framesWrittenInOneTurnLeaveTogetherAtItsEnd() async throws {
        let channel = try await Self.makeChannel()
        let writer = WebSocketTextWriter(channel: channel, masking: false)
        try await writer.write(#"{"event":"media"}"#)
        try await writer.write(#"{"event":"mark"}"#)
        // Written, not yet flushed: the flush comes once, at the end of the turn.
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        let frames = try Self.frames(writtenBy: channel)
        #expect(frames.map { String(buffer: $0.unmaskedData) } == [#"{"event":"media"}"#, #"{"event":"mark"}"#])
        #expect(frames.allSatisfy { $0.opcode == .text && $0.fin && $0.maskKey == nil })
        // A write in the next turn schedules its own flush.
        try await writer.write(#"{"event":"clear"}"#)
        channel.embeddedEventLoop.run()
        #expect(try Self.frames(writtenBy: channel).map { String(buffer: $0.unmaskedData) } == [#"{"event":"clear"}"#])
    }

    @Test func aClientsFramesAreMaskedEachWithItsOwnKey() async throws {
        let channel = try await Self.makeChannel()
        let writer = WebSocketTextWriter(channel: channel, masking: true)
        for index in 0..<50 { try await writer.write(#"{"n":\#(index)}"#) }
        channel.embeddedEventLoop.run()
        let frames = try Self.frames(writtenBy: channel)
        #expect(frames.count == 50)
        #expect(frames.map { String(buffer: $0.unmaskedData) } == (0..<50).map { #"{"n":\#($0)}"# })
        let keys = frames.compactMap { $0.maskKey.map { Array($0) } }
        #expect(keys.count == 50)
        #expect(Set(keys).count >= 49)
    }

    /// Frames encoded by the writer itself read back through SwiftNIO's decoder, at each length encoding.
    @Test(arguments: [0, 1, 125, 126, 65_535, 65_536, 200_000], [false, true])
    func framesTheWriterEncodesDecodeAsSwiftNIOReadsThem(length: Int, masked: Bool) async throws {
        let channel = try await Self.makeChannel()
        let writer = WebSocketTextWriter(channel: channel, masking: masked)
        let text = String(repeating: "abcdefghij", count: length / 10 + 1).prefix(length)
        try await writer.write(String(text))
        channel.embeddedEventLoop.run()
        let frames = try Self.frames(writtenBy: channel)
        #expect(frames.count == 1)
        #expect(frames.first?.opcode == .text)
        #expect((frames.first?.maskKey != nil) == masked)
        #expect(frames.first.map { String(buffer: $0.unmaskedData) } == String(text))
    }

    @Test func aCloseFrameCarriesItsCodeAndIsFlushedAtOnce() async throws {
        let channel = try await Self.makeChannel()
        let writer = WebSocketTextWriter(channel: channel, masking: true)
        try await writer.writeClose(.goingAway, reason: "bye")
        let frames = try Self.frames(writtenBy: channel)
        var payload = try #require(frames.first).unmaskedData
        #expect(frames.first?.opcode == .connectionClose)
        #expect(payload.readWebSocketErrorCode() == .goingAway)
        #expect(payload.readString(length: payload.readableBytes) == "bye")
    }

    @Test func writingToAClosedChannelThrows() async throws {
        let channel = try await Self.makeChannel()
        let writer = WebSocketTextWriter(channel: channel, masking: false)
        try await channel.close()
        await #expect(throws: ChannelError.self) { try await writer.write("late") }
    }

    @Test func theSameSeedGivesTheSameKeysAndDifferentSeedsDifferentOnes() {
        var first = MaskingKeyGenerator(seed: 42)
        var second = MaskingKeyGenerator(seed: 42)
        var other = MaskingKeyGenerator(seed: 43)
        let a = (0..<8).map { _ in first.next() }
        #expect(a == (0..<8).map { _ in second.next() })
        #expect(a != (0..<8).map { _ in other.next() })
        #expect(Set(a).count == 8)
    }
}

/// A writer held by one of its own channel's handlers (as the media stream's shortcut holds the call, which holds
/// the writer) keeps the encoder's context, and through it the pipeline: once the channel has closed, SwiftNIO's
/// teardown lets go of the handlers, so nothing is kept.
@Suite struct WebSocketTextWriterLifetimeTests {
    final class Holder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var writer: WebSocketTextWriter?
    }

    @Test func aClosedChannelsHandlersAreReleasedThoughTheWriterFoundTheEncoder() async throws {
        weak var releasedHolder: Holder?
        weak var releasedWriter: WebSocketTextWriter?
        do {
            let channel = try await WebSocketTextWriterTests.makeChannel()
            let holder = Holder()
            let writer = WebSocketTextWriter(channel: channel, masking: true)
            holder.writer = writer
            releasedHolder = holder
            releasedWriter = writer
            try channel.pipeline.syncOperations.addHandler(holder)
            // The first write finds and keeps the encoder's context.
            try await writer.write("hello")
            channel.embeddedEventLoop.run()
            _ = try channel.finish(acceptAlreadyClosed: true)
        }
        #expect(releasedHolder == nil)
        #expect(releasedWriter == nil)
    }
}
