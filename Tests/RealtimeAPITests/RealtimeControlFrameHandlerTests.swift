import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import RealtimeAPI

/// The Realtime socket's control frames, answered on the event loop: only messages reach the session.
@Suite struct RealtimeControlFrameHandlerTests {
    static func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: RealtimeControlFrameHandler())
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return channel
    }

    static func frame(
        _ opcode: WebSocketOpcode,
        _ payload: ByteBuffer = ByteBuffer(),
        fin: Bool = true
    ) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, data: payload)
    }

    @Test func textPassesAndAPingIsAnsweredWithAMaskedPongOfTheSameBytes() throws {
        let channel = try Self.makeChannel()
        try channel.writeInbound(Self.frame(.text, ByteBuffer(string: #"{"type":"session.created"}"#)))
        try channel.writeInbound(Self.frame(.ping, ByteBuffer(string: "are you there")))
        let passed = try #require(try channel.readInbound(as: WebSocketFrame.self))
        #expect(String(buffer: passed.unmaskedData) == #"{"type":"session.created"}"#)
        #expect(try channel.readInbound(as: WebSocketFrame.self) == nil)
        let pong = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        #expect(pong.opcode == .pong)
        #expect(pong.maskKey != nil)
        // Not yet encoded: the payload is as it will be masked on the wire.
        #expect(String(buffer: pong.data) == "are you there")
        #expect(channel.isActive)
    }

    @Test func theServicesCloseIsAnsweredWithItsCodeAndTheSocketCloses() throws {
        let channel = try Self.makeChannel()
        var code = ByteBuffer()
        code.write(webSocketErrorCode: .goingAway)
        try channel.writeInbound(Self.frame(.connectionClose, code))
        let answer = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        var payload = answer.data
        #expect(answer.opcode == .connectionClose)
        #expect(answer.maskKey != nil)
        #expect(payload.readWebSocketErrorCode() == .goingAway)
        #expect(!channel.isActive)
    }

    @Test func aCloseAnsweringOursIsNotAnsweredAgain() throws {
        let channel = try Self.makeChannel()
        var code = ByteBuffer()
        code.write(webSocketErrorCode: .normalClosure)
        try channel.writeOutbound(Self.frame(.connectionClose, code))
        #expect(try channel.readOutbound(as: WebSocketFrame.self)?.opcode == .connectionClose)
        try channel.writeInbound(Self.frame(.connectionClose, code))
        #expect(try channel.readOutbound(as: WebSocketFrame.self) == nil)
        #expect(!channel.isActive)
    }

    @Test func aFragmentedPingBreaksTheProtocolAndClosesWith1002() throws {
        let channel = try Self.makeChannel()
        try channel.writeInbound(Self.frame(.ping, ByteBuffer(string: "x"), fin: false))
        let close = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        var payload = close.data
        #expect(close.opcode == .connectionClose)
        #expect(payload.readWebSocketErrorCode() == .protocolError)
        #expect(!channel.isActive)
    }
}
