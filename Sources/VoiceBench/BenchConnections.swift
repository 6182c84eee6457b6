import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The load generator's sockets, on SwiftNIO directly: no task per connection, no async streams, so one process
/// can play thousands of Twilio callers and Realtime sessions at once.
enum BenchConnections {
    /// Listens on 127.0.0.1:`port` (0: any) for the server's Realtime WebSockets.
    static func listenAsRealtime(
        group: any EventLoopGroup,
        port: Int,
        options: BenchRealtimeHandler.Options,
        statistics: BenchStatistics,
        ticker: BenchTicker,
        dropper: SessionDropper?
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 24,
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                BenchRealtimeHandler(
                                    options: options,
                                    statistics: statistics,
                                    ticker: ticker,
                                    dropper: dropper
                                )
                            )
                        }
                    }
                )
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
                    )
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    /// Opens one call's media stream at `ws://host:port/media-stream` and starts its audio once upgraded.
    static func call(
        group: any EventLoopGroup,
        host: String,
        port: Int,
        callSid: String,
        streamSid: String,
        statistics: BenchStatistics,
        ticker: BenchTicker
    ) async throws -> any Channel {
        let upgraded = group.next().makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                let request = UpgradeRequestHandler(host: "\(host):\(port)", path: "/media-stream", upgraded: upgraded)
                let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 20) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            BenchCallerHandler(
                                callSid: callSid,
                                streamSid: streamSid,
                                statistics: statistics,
                                ticker: ticker,
                                upgraded: upgraded
                            )
                        )
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        withClientUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.removeHandler(name: UpgradeRequestHandler.name, promise: nil)
                            }
                        )
                    )
                    try channel.pipeline.syncOperations.addHandler(request, name: UpgradeRequestHandler.name)
                }
            }
            .connect(host: host, port: port).get()
        // A server too busy to answer the upgrade fails the call instead of holding the benchmark up.
        let upgradeTimeout = channel.eventLoop.scheduleTask(in: .seconds(10)) {
            upgraded.fail(BenchFailure(description: "the media stream upgrade was not answered in 10 s"))
        }
        do {
            try await upgraded.futureResult.get()
            upgradeTimeout.cancel()
        } catch {
            try? await channel.close()
            throw error
        }
        return channel
    }

    /// Hangs the call up (`stop`, then a close frame) and waits for the socket to close. `mediaPeriod` is how often
    /// the assistant's frames come, for the call's longest silence.
    static func hangUp(_ channel: any Channel, mediaPeriod: TimeAmount) async {
        channel.eventLoop.execute {
            guard let context = try? channel.pipeline.syncOperations.context(handlerType: BenchCallerHandler.self),
                let handler = context.handler as? BenchCallerHandler
            else {
                channel.close(promise: nil)
                return
            }
            handler.hangUp(context: context, mediaPeriod: mediaPeriod)
        }
        // The server closes after `stop`; do not wait for ever if it does not.
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        timeout.cancel()
    }
}

/// Sends the HTTP request that asks for the WebSocket upgrade; removed once the upgrade is done.
private final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    static let name = "upgrade-request"

    let host: String
    let path: String
    let upgraded: EventLoopPromise<Void>

    init(host: String, path: String, upgraded: EventLoopPromise<Void>) {
        self.host = host
        self.path = path
        self.upgraded = upgraded
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // An answer that reaches this handler is not the upgrade.
        if case .head(let head) = unwrapInboundIn(data) {
            upgraded.fail(BenchFailure(description: "the media stream upgrade was answered \(head.status.code)"))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        upgraded.fail(error)
        context.close(promise: nil)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
}
