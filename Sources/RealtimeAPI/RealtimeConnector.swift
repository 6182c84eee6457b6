import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization
import WebSocketFrames

/// Opens Realtime sessions: a WebSocket to `OPENAI_REALTIME_URL?model=OPENAI_MODEL` with the API key as a bearer
/// token (TLS for `wss`). No `OpenAI-Beta` header: the beta interface is retired.
///
/// The upgrade is done here on SwiftNIO rather than through a WebSocket client library, for two things a call needs
/// and the libraries do not give: the HTTP status of a refused upgrade (a `401` is never retried, a `503` is), and
/// a limit on an upgrade the service never answers (the channel is closed at the limit). Frames are then handled by
/// swift-websocket's own handler, as its client does.
package struct RealtimeConnector: Sendable {
    /// The full URL, model included.
    package let url: String
    private let apiKey: String
    private var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    /// The Realtime service's events can be large (`session.updated` echoes the tools; audio deltas vary).
    package static let maximumMessageBytes = 16 * 1024 * 1024
    /// A message may come in this many fragments at most.
    static let maximumFragments = 4096
    /// How long a closing session waits for the service to answer the close before the socket is dropped.
    package static let closeTimeout: TimeAmount = .seconds(1)

    package init(baseURL: URL, model: String, apiKey: String) {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)
        var query = components?.queryItems ?? []
        query.removeAll { $0.name == "model" }
        query.append(URLQueryItem(name: "model", value: model))
        components?.queryItems = query
        self.url = components?.string ?? baseURL.absoluteString
        self.apiKey = apiKey
    }

    /// The same connector, opening its sockets on `eventLoop`.
    package func on(_ eventLoop: any EventLoop) -> RealtimeConnector {
        var connector = self
        connector.eventLoopGroup = eventLoop
        return connector
    }

    /// Connects and runs `body` with the session; the socket closes when `body` returns or throws, or when the
    /// task is cancelled.
    ///
    /// Throws ``RealtimeConnectError`` when no session opened (within `timeout` for the connection and the upgrade
    /// together); anything `body` throws is rethrown as it is.
    package func connect<Value: Sendable>(
        timeout: Duration = RealtimeRetryPolicy.standard.attemptTimeout,
        logger: Logger,
        _ body: @escaping @Sendable (RealtimeEventWriter, RealtimeServerEvents) async throws -> Value
    ) async throws -> Value {
        let target = try Target(url)
        let upgraded = try await openUpgradedChannel(to: target, timeout: timeout)
        let channel = upgraded.channel
        let writer = WebSocketTextWriter(channel: channel, masking: true)
        return try await upgraded.executeThenClose { inbound, _ in
            try await withTaskCancellationHandler {
                let value: Value
                do {
                    value = try await body(
                        RealtimeEventWriter(writer: writer),
                        RealtimeServerEvents(inbound: inbound, logger: logger)
                    )
                } catch  where !channel.isActive && !Task.isCancelled {
                    // A write failed because the service had closed the socket under the session.
                    throw RealtimeSessionClosed()
                }
                // A session the call is done with is closed with the handshake, not dropped.
                await RealtimeEventWriter(writer: writer).closeAndWait()
                return value
            } onCancel: {
                channel.close(promise: nil)
            }
        }
    }

    private enum UpgradeResult: Sendable {
        case webSocket(NIOAsyncChannel<WebSocketFrame, Never>)
        case refused
    }

    /// TCP, TLS and the HTTP upgrade, within `timeout`: the WebSocket channel, or why there is none.
    private func openUpgradedChannel(
        to target: Target,
        timeout: Duration
    ) async throws -> NIOAsyncChannel<WebSocketFrame, Never> {
        let status = StatusLineRecorder.Status()
        let timedOut = Mutex(false)
        let sslContext: NIOSSLContext?
        do {
            sslContext = target.usesTLS ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        } catch {
            throw RealtimeConnectError.unreachable("TLS set-up failed: \(error)")
        }
        let requestHead = HTTPRequestHead(
            version: .http1_1,
            method: .GET,
            uri: target.pathAndQuery,
            headers: [
                "Host": target.hostHeader,
                "Authorization": "Bearer \(apiKey)",
            ]
        )
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: RelayReceiveBuffers.allocator)
        let upgrade: EventLoopFuture<UpgradeResult>
        do {
            upgrade = try await bootstrap.connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: target.host))
                    }
                    try pipeline.addHandler(StatusLineRecorder(status: status))
                    let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeResult>(
                        maxFrameSize: Self.maximumMessageBytes,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                let pipeline = channel.pipeline.syncOperations
                                try pipeline.addHandler(
                                    NIOWebSocketFrameAggregator(
                                        minNonFinalFragmentSize: 0,
                                        maxAccumulatedFrameCount: Self.maximumFragments,
                                        maxAccumulatedFrameSize: Self.maximumMessageBytes
                                    )
                                )
                                try pipeline.addHandler(RealtimeControlFrameHandler())
                                return .webSocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                            }
                        }
                    )
                    var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                            upgradeRequestHead: requestHead,
                            upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.close(promise: nil)
                                return channel.eventLoop.makeSucceededFuture(.refused)
                            }
                        )
                    )
                    configuration.leftOverBytesStrategy = .forwardBytes
                    let result = try pipeline.configureUpgradableHTTPClientPipeline(configuration: configuration)
                    // An upgrade the service never answers is given up at the limit: closing fails the future.
                    let limit = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                        timedOut.withLock { $0 = true }
                        channel.close(promise: nil)
                    }
                    result.whenComplete { _ in limit.cancel() }
                    return result
                }
            }
        } catch let error as ChannelError where error == .connectTimeout(TimeAmount(timeout)) {
            throw RealtimeConnectError.timedOut(timeout)
        } catch {
            throw RealtimeConnectError.unreachable("\(error)")
        }
        let result: UpgradeResult
        do {
            result = try await upgrade.get()
        } catch {
            if timedOut.withLock({ $0 }) { throw RealtimeConnectError.timedOut(timeout) }
            if let code = status.code { throw RealtimeConnectError.refused(status: code) }
            throw RealtimeConnectError.unreachable("\(error)")
        }
        switch result {
        case .webSocket(let channel): return channel
        case .refused: throw RealtimeConnectError.refused(status: status.code ?? 0)
        }
    }

    /// Where to connect, from the URL.
    private struct Target: Sendable {
        var host: String
        var port: Int
        var usesTLS: Bool
        var pathAndQuery: String
        var hostHeader: String

        init(_ url: String) throws {
            guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty,
                let scheme = components.scheme?.lowercased(), ["ws", "wss", "http", "https"].contains(scheme)
            else { throw RealtimeConnectError.unreachable("not a WebSocket URL: \(url)") }
            self.host = host
            self.usesTLS = scheme == "wss" || scheme == "https"
            self.port = components.port ?? (usesTLS ? 443 : 80)
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            self.pathAndQuery = path + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
            self.hostHeader = components.port.map { "\(host):\($0)" } ?? host
        }
    }
}

/// The service closed the socket before the session's work was done.
package struct RealtimeSessionClosed: Error, CustomStringConvertible {
    package var description: String { "the Realtime service closed the socket" }
}

/// Reads the status code from the first line of the service's answer to the upgrade, then steps aside: a refused
/// upgrade's status is the only thing the HTTP codec would not tell.
private final class StatusLineRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    final class Status: Sendable {
        private let value = Mutex<Int?>(nil)
        var code: Int? { value.withLock { $0 } }
        fileprivate func set(_ code: Int) { value.withLock { $0 = code } }
    }

    private let status: Status
    private var line: [UInt8] = []

    init(status: Status) {
        self.status = status
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let bytes = buffer.readableBytesView
        let end = bytes.firstIndex(of: UInt8(ascii: "\n"))
        line += bytes[..<(end ?? bytes.endIndex)].prefix(64 - line.count)
        context.fireChannelRead(data)
        guard end != nil || line.count >= 64 else { return }
        // "HTTP/1.1 503 Service Unavailable"
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ")
        if fields.count >= 2, let code = Int(fields[1]) { status.set(code) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
