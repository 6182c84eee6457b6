import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOPosix

/// Opens Realtime sessions: a WebSocket to `OPENAI_REALTIME_URL?model=OPENAI_MODEL` with the API key as a bearer
/// token (TLS for `wss`). No `OpenAI-Beta` header: the beta interface is retired.
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
    /// task is cancelled. Throws if the connection or the upgrade fails.
    package func connect(
        logger: Logger,
        _ body: @escaping @Sendable (RealtimeEventWriter, RealtimeServerEvents) async throws -> Void
    ) async throws {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(apiKey)"
        // A call that ends does not wait long for the service to acknowledge the close.
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: Self.maximumMessageBytes,
            additionalHeaders: headers,
            closeTimeout: .seconds(1)
        )
        try await WebSocketClient.connect(
            url: url,
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger
        ) {
            inbound,
            outbound,
            _ in
            try await body(
                RealtimeEventWriter(outbound: outbound),
                RealtimeServerEvents(inbound: inbound, logger: logger)
            )
        }
    }
}

/// Sends client events on an open session. Safe to use from several tasks; each event is one text frame.
package struct RealtimeEventWriter: Sendable {
    let outbound: WebSocketOutboundWriter

    package func send(_ event: RealtimeClientEvent) async throws {
        try await outbound.write(.text(event.jsonText))
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
