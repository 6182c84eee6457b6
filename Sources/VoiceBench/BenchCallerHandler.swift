import NIOCore
import NIOWebSocket
import Synchronization

/// One simulated Twilio call on the media stream, as light as it can be: every 20 ms a `media` frame of 160 bytes
/// of µ-law whose first bytes carry the send time; each `media` from the server is timed by its stamp, and each
/// `mark` is echoed at once, as Twilio does once the audio before it has played.
final class BenchCallerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let callSid: String
    private let streamSid: String
    private let statistics: BenchStatistics
    private let upgraded: EventLoopPromise<Void>
    private let ticker: BenchTicker
    private let payload = AudioStamp.silentPayload(audioBytes: 160)
    private var sequenceNumber = 2
    private var chunk = 0
    private var hungUp = false
    /// When the last assistant frame arrived, and the longest wait between two during the measurement.
    private var lastMediaAt: UInt64 = 0
    private var longestGap: UInt64 = 0

    init(
        callSid: String,
        streamSid: String,
        statistics: BenchStatistics,
        ticker: BenchTicker,
        upgraded: EventLoopPromise<Void>
    ) {
        self.callSid = callSid
        self.streamSid = streamSid
        self.statistics = statistics
        self.ticker = ticker
        self.upgraded = upgraded
    }

    func handlerAdded(context: ChannelHandlerContext) {
        send(
            #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#,
            context: context
        )
        send(
            #"{"event":"start","sequenceNumber":"1","streamSid":"\#(streamSid)","start":{"accountSid":"AC00000000000000000000000000000000","streamSid":"\#(streamSid)","callSid":"\#(callSid)","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"callSid":"\#(callSid)","from":"+14155550100","to":"+15005550006"}}}"#,
            context: context
        )
        context.flush()
        ticker.every(.milliseconds(20), on: context.eventLoop) { [self] in
            guard !hungUp else { return false }
            sendFrame(context: context)
            return true
        }
        upgraded.succeed()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        hungUp = true
    }

    /// Sends `stop` and closes, as Twilio does when the caller hangs up.
    func hangUp(context: ChannelHandlerContext, mediaPeriod: TimeAmount) {
        guard !hungUp else { return }
        hungUp = true
        let period = UInt64(max(mediaPeriod.nanoseconds, 0))
        statistics.longestSilence.record(nanoseconds: longestGap > period ? longestGap - period : 0)
        send(
            #"{"event":"stop","sequenceNumber":"\#(sequenceNumber)","streamSid":"\#(streamSid)","stop":{"accountSid":"AC00000000000000000000000000000000","callSid":"\#(callSid)"}}"#,
            context: context
        )
        let close = WebSocketFrame(
            fin: true,
            opcode: .connectionClose,
            maskKey: .random(),
            data: context.channel.allocator.buffer(integer: UInt16(1000))
        )
        context.writeAndFlush(wrapOutboundOut(close), promise: nil)
    }

    private func sendFrame(context: ChannelHandlerContext) {
        chunk += 1
        var buffer = context.channel.allocator.buffer(capacity: 400)
        buffer.writeString(#"{"event":"media","sequenceNumber":""#)
        buffer.writeString(String(sequenceNumber))
        buffer.writeString(#"","streamSid":""#)
        buffer.writeString(streamSid)
        buffer.writeString(#"","media":{"track":"inbound","chunk":""#)
        buffer.writeString(String(chunk))
        buffer.writeString(#"","timestamp":""#)
        buffer.writeString(String(chunk * 20))
        buffer.writeString(#"","payload":""#)
        let payloadOffset = buffer.writerIndex
        buffer.writeBytes(payload)
        buffer.writeString(#""}}"#)
        AudioStamp.write(AudioStamp.now(), into: &buffer, at: payloadOffset)
        sequenceNumber += 1
        context.writeAndFlush(
            wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)),
            promise: nil
        )
        statistics.callerFramesSent.add(1, ordering: .relaxed)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            received(frame.unmaskedData, context: context)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            if !hungUp { statistics.droppedCalls.add(1, ordering: .relaxed) }
            hungUp = true
            context.close(promise: nil)
        default:
            break
        }
    }

    private static let mediaPrefix = Array(#"{"event":"media""#.utf8)
    private static let markPrefix = Array(#"{"event":"mark""#.utf8)
    private static let payloadKey = Array(#""payload":""#.utf8)
    private static let nameKey = Array(#""name":""#.utf8)

    private func received(_ text: ByteBuffer, context: ChannelHandlerContext) {
        if text.starts(with: Self.mediaPrefix) {
            guard let offset = text.offset(after: Self.payloadKey),
                let sentAt = AudioStamp.read(from: text, at: text.readerIndex + offset)
            else { return }
            let now = AudioStamp.now()
            statistics.realtimeToCaller.record(nanoseconds: now &- sentAt)
            let since = statistics.measuringSince.load(ordering: .relaxed)
            if since != 0, lastMediaAt >= since { longestGap = max(longestGap, now &- lastMediaAt) }
            lastMediaAt = now
        } else if text.starts(with: Self.markPrefix), !hungUp {
            guard let start = text.offset(after: Self.nameKey),
                let end = text.readableBytesView[(text.readerIndex + start)...].firstIndex(of: UInt8(ascii: "\""))
            else { return }
            var echo = context.channel.allocator.buffer(capacity: 160)
            echo.writeString(#"{"event":"mark","streamSid":""#)
            echo.writeString(streamSid)
            echo.writeString(#"","mark":{"name":""#)
            echo.writeBytes(text.readableBytesView[(text.readerIndex + start)..<end])
            echo.writeString(#""}}"#)
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: echo)),
                promise: nil
            )
        }
    }

    /// Writes one text frame, masked as a client's must be; flushed by the caller.
    private func send(_ text: String, context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: text)
        context.write(
            wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)),
            promise: nil
        )
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        upgraded.fail(error)
        context.close(promise: nil)
    }
}

extension ByteBuffer {
    func starts(with prefix: [UInt8]) -> Bool {
        readableBytesView.starts(with: prefix)
    }

    /// The offset, from the reader index, just after the first occurrence of `needle`.
    func offset(after needle: [UInt8]) -> Int? {
        let view = readableBytesView
        guard let first = needle.first, view.count >= needle.count else { return nil }
        var index = view.startIndex
        let last = view.endIndex - needle.count
        while index <= last {
            if view[index] == first, view[index..<index + needle.count].elementsEqual(needle) {
                return index + needle.count - view.startIndex
            }
            index += 1
        }
        return nil
    }
}
