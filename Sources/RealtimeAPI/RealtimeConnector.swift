import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization
@_spi(WSInternal) import WSCore

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
        let upgrade = try await openUpgradedChannel(to: target, timeout: timeout)
        let result = Mutex<Value?>(nil)
        let configuration = WebSocketHandler.Configuration(
            extensions: [],
            autoPing: .disabled,
            // A call that ends does not wait long for the service to acknowledge the close.
            closeTimeout: .seconds(1),
            validateUTF8: false,
            maxFrameSize: Self.maximumMessageBytes
        )
        do {
            _ = try await WebSocketHandler.handle(
                type: .client,
                configuration: configuration,
                asyncChannel: upgrade,
                context: SocketContext(logger: logger)
            ) { inbound, outbound, _ in
                let value = try await body(
                    RealtimeEventWriter(outbound: outbound),
                    RealtimeServerEvents(inbound: inbound, logger: logger)
                )
                result.withLock { $0 = value }
            }
        } catch {
            // A close that fails after `body` finished does not lose what it returned.
            if let value = result.withLock({ $0 }) { return value }
            throw error
        }
        // The handler returns without running `body` to its end only when the socket closed under it.
        guard let value = result.withLock({ $0 }) else { throw RealtimeSessionClosed() }
        return value
    }

    private enum UpgradeResult: Sendable {
        case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    /// TCP, TLS and the HTTP upgrade, within `timeout`: the WebSocket channel, or why there is none.
    private func openUpgradedChannel(
        to target: Target,
        timeout: Duration
    ) async throws -> NIOAsyncChannel<WebSocketFrame, WebSocketFrame> {
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
                                .webSocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
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

    private struct SocketContext: WebSocketContext {
        let logger: Logger
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

/// Sends client events on an open session. Safe to use from several tasks; each event is one text frame.
package struct RealtimeEventWriter: Sendable {
    let outbound: WebSocketOutboundWriter

    package func send(_ event: RealtimeClientEvent) async throws {
        try await outbound.write(.text(event.jsonText))
    }

    /// Closes the session's socket normally; its events end.
    package func close() async throws {
        try await outbound.close(.normalClosure, reason: nil)
    }
}

/// The service's events, decoded. An event that cannot be read is logged and skipped, never fatal.
package struct RealtimeServerEvents: AsyncSequence, Sendable {
    package typealias Element = RealtimeServerEvent

    let inbound: WebSocketInboundStream
    let logger: Logger

    package struct AsyncIterator: AsyncIteratorProtocol {
        var messages: WebSocketInboundMessageStream.AsyncIterator
        let logger: Logger

        package mutating func next() async throws -> RealtimeServerEvent? {
            try await nextWithArrival()?.event
        }

        /// The next event, and when its frame arrived (before it was decoded), to time what the server does with it.
        package mutating func nextWithArrival() async throws -> (
            event: RealtimeServerEvent, arrivedAt: ContinuousClock.Instant
        )? {
            while let message = try await messages.next() {
                let arrivedAt = ContinuousClock.now
                guard case .text(let text) = message else {
                    logger.debug("Skipped a binary Realtime frame")
                    continue
                }
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
        AsyncIterator(
            messages: inbound.messages(maxSize: RealtimeConnector.maximumMessageBytes).makeAsyncIterator(),
            logger: logger
        )
    }
}
