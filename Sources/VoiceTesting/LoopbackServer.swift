import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// Runs a Hummingbird application on 127.0.0.1 for the length of `body`, which gets the port it listens on.
package enum LoopbackServer {
    /// Runs a router on a free port, or on `port` (to bring a server back where a client expects it).
    ///
    /// - Parameter channelHandlers: added to each HTTP/1 connection (an upgrade refusal's status rewriter).
    /// - Parameter webSockets: whether the server also upgrades to WebSocket. Leave it off for HTTP-only fakes: the
    ///   upgrading server closes an idle connection only after its first request, so a connection a client opened
    ///   and never used (a pooled one, for a request that was cancelled) would hold the server's shutdown up.
    package static func run<Context: WebSocketRequestContext, Value: Sendable>(
        router: Router<Context>,
        port fixedPort: Int = 0,
        webSockets: Bool = true,
        logger: Logger,
        channelHandlers: @escaping @Sendable () -> [any RemovableChannelHandler] = { [] },
        _ body: (Int) async throws -> Value
    ) async throws -> Value {
        // An idle keep-alive connection is closed after 1 s: a client's connection pool must not hold the server's
        // shutdown up until the client's own idle timeout.
        let server: HTTPServerBuilder =
            webSockets
            ? .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(
                    http1: .init(additionalChannelHandlers: channelHandlers(), idleTimeout: .seconds(1)),
                    ws: .init(maxFrameSize: 1 << 24, closeTimeout: .seconds(2))
                )
            )
            : .http1(configuration: .init(idleTimeout: .seconds(1)))
        return try await run(
            logger: logger,
            { onServerRunning in
                Application(
                    router: router,
                    server: server,
                    configuration: .init(address: .hostname("127.0.0.1", port: fixedPort)),
                    onServerRunning: onServerRunning,
                    logger: logger
                )
            },
            body
        )
    }

    /// Runs the application `makeApplication` builds around the `onServerRunning` callback it is given (it must
    /// listen on loopback); the application's own services run and stop with it.
    package static func run<App: ApplicationProtocol, Value: Sendable>(
        logger: Logger,
        _ makeApplication: (_ onServerRunning: @escaping @Sendable (any Channel) async -> Void) async throws -> App,
        _ body: (Int) async throws -> Value
    ) async throws -> Value {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try await makeApplication { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        }
        var configuration = ServiceGroupConfiguration(
            services: [app],
            gracefulShutdownSignals: [],
            cancellationSignals: [],
            logger: logger
        )
        // Nothing a client keeps open may hold a test up: after 2 s the shutdown becomes cancellation.
        configuration.maximumGracefulShutdownDuration = .seconds(2)
        let services = ServiceGroup(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // If the server cannot start, end the wait for its port.
                defer { portContinuation.finish() }
                try await services.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                group.cancelAll()
                throw FakeTimeout(what: "a loopback server to start")
            }
            do {
                let value = try await body(port)
                await services.triggerGracefulShutdown()
                do {
                    try await group.waitForAll()
                } catch {
                    logger.debug("Loopback server stopped by cancellation", metadata: ["reason": "\(error)"])
                }
                return value
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }
}
