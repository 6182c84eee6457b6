import Foundation
import NIOCore
import NIOWebSocket
import Synchronization

/// One session of the benchmark's stand-in for the Realtime service, as light as it can be. It answers
/// `session.update`, then talks without pause: every `deltaInterval` one `response.output_audio.delta` whose audio
/// carries the send time. Every `toolInterval` it ends the response with a `check_availability` call and waits for
/// the output and the next `response.create`. Caller audio is timed by its stamp and otherwise ignored.
final class BenchRealtimeHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    struct Options: Sendable {
        var deltaInterval: TimeAmount
        var deltaAudioBytes: Int
        var toolInterval: TimeAmount
        /// When the first tool call comes, so that calls do not all query the booking system at once.
        var firstToolCall: TimeAmount
    }

    private let options: Options
    private let statistics: BenchStatistics
    private let ticker: BenchTicker
    private let deltaPayload: [UInt8]
    private var eventNumber = 0
    private var responseNumber = 0
    /// The response whose audio is being sent; `nil` between responses.
    private var talking: String?
    private var toolCall: Scheduled<Void>?
    private var nextToolCallDelay: TimeAmount
    private var pendingToolCalls: [String: UInt64] = [:]
    private var closed = false

    private let dropper: SessionDropper?

    init(options: Options, statistics: BenchStatistics, ticker: BenchTicker, dropper: SessionDropper?) {
        self.options = options
        self.dropper = dropper
        self.statistics = statistics
        self.ticker = ticker
        self.deltaPayload = AudioStamp.silentPayload(audioBytes: options.deltaAudioBytes)
        self.nextToolCallDelay = options.firstToolCall
    }

    func handlerAdded(context: ChannelHandlerContext) {
        statistics.realtimeSessions.add(1, ordering: .relaxed)
        dropper?.sessionOpened(context.channel)
        send(
            #"{"type":"session.created","event_id":"\#(nextEventID())","session":{"type":"realtime","id":"sess_1"}}"#,
            context: context
        )
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTalking()
        statistics.realtimeSessions.add(-1, ordering: .relaxed)
    }

    /// The newest send time among this session's caller frames so far.
    private var newestStamp: UInt64 = 0

    private static let appendPrefix = Array(#"{"type":"input_audio_buffer.append","audio":""#.utf8)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let text = frame.unmaskedData
            if text.starts(with: Self.appendPrefix) {
                guard let sentAt = AudioStamp.read(from: text, at: text.readerIndex + Self.appendPrefix.count) else {
                    return
                }
                statistics.callerToRealtime.record(nanoseconds: AudioStamp.now() &- sentAt)
                // One caller's frames are stamped in the order sent: an older stamp after a newer one was reordered.
                if sentAt < newestStamp { statistics.callerFramesOutOfOrder.add(1, ordering: .relaxed) }
                newestStamp = max(newestStamp, sentAt)
            } else {
                clientEvent(text, context: context)
            }
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)),
                promise: nil
            )
        case .connectionClose:
            stopTalking()
            guard !closed else { return }
            closed = true
            let close = WebSocketFrame(
                fin: true,
                opcode: .connectionClose,
                data: context.channel.allocator.buffer(integer: UInt16(1000))
            )
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }

    /// Events other than audio are few: read them as JSON.
    private func clientEvent(_ text: ByteBuffer, context: ChannelHandlerContext) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.readableBytesView)) as? [String: Any],
            let type = object["type"] as? String
        else { return }
        switch type {
        case "session.update":
            send(#"{"type":"session.updated","event_id":"\#(nextEventID())","session":{}}"#, context: context)
        case "response.create":
            startResponse(context: context)
        case "conversation.item.create":
            guard let item = object["item"] as? [String: Any], let callID = item["call_id"] as? String,
                let sentAt = pendingToolCalls.removeValue(forKey: callID)
            else { return }
            statistics.toolCalls.record(nanoseconds: AudioStamp.now() &- sentAt)
            if (item["output"] as? String)?.contains(#""error""#) == true {
                statistics.toolErrors.add(1, ordering: .relaxed)
            }
        default:
            break
        }
    }

    private func startResponse(context: ChannelHandlerContext) {
        guard talking == nil, !closed else { return }
        responseNumber += 1
        let responseID = "resp_\(responseNumber)"
        send(
            #"{"type":"response.created","event_id":"\#(nextEventID())","response":{"id":"\#(responseID)","object":"realtime.response","status":"in_progress","output":[]}}"#,
            context: context
        )
        talking = responseID
        ticker.every(options.deltaInterval, on: context.eventLoop) { [self] in
            guard talking == responseID else { return false }
            sendDelta(responseID: responseID, context: context)
            return true
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        toolCall = context.eventLoop.scheduleTask(in: nextToolCallDelay) {
            let (handler, context) = loopBound.value
            handler.callTool(responseID: responseID, context: context)
        }
        nextToolCallDelay = options.toolInterval
    }

    private func sendDelta(responseID: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: deltaPayload.count + 200)
        buffer.writeString(#"{"type":"response.output_audio.delta","event_id":""#)
        buffer.writeString(nextEventID())
        buffer.writeString(#"","response_id":""#)
        buffer.writeString(responseID)
        buffer.writeString(#"","item_id":"item_"#)
        buffer.writeString(responseID)
        buffer.writeString(#"","output_index":0,"content_index":0,"delta":""#)
        let payloadOffset = buffer.writerIndex
        buffer.writeBytes(deltaPayload)
        buffer.writeString(#""}"#)
        AudioStamp.write(AudioStamp.now(), into: &buffer, at: payloadOffset)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
        statistics.assistantDeltasSent.add(1, ordering: .relaxed)
    }

    /// Ends the response with a function call, as the model does when it needs the booking system.
    private func callTool(responseID: String, context: ChannelHandlerContext) {
        stopTalking()
        let callID = "call_\(responseNumber)"
        let arguments = #"{\"date\":\"next wednesday\",\"home_size\":\"2_bedroom\"}"#
        pendingToolCalls[callID] = AudioStamp.now()
        send(
            #"{"type":"response.function_call_arguments.done","event_id":"\#(nextEventID())","response_id":"\#(responseID)","item_id":"fc_\#(responseNumber)","output_index":1,"call_id":"\#(callID)","name":"check_availability","arguments":"\#(arguments)"}"#,
            context: context
        )
        send(
            #"{"type":"response.done","event_id":"\#(nextEventID())","response":{"id":"\#(responseID)","object":"realtime.response","status":"completed","output":[{"id":"fc_\#(responseNumber)","type":"function_call","call_id":"\#(callID)","name":"check_availability"}],"usage":{"total_tokens":300,"input_tokens":200,"output_tokens":100,"input_token_details":{"text_tokens":120,"audio_tokens":80,"cached_tokens":64},"output_token_details":{"text_tokens":20,"audio_tokens":80}}}}"#,
            context: context
        )
    }

    private func stopTalking() {
        talking = nil
        toolCall?.cancel()
        toolCall = nil
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: text)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
    }

    private func nextEventID() -> String {
        eventNumber += 1
        return "event_\(eventNumber)"
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        stopTalking()
        context.close(promise: nil)
    }
}
