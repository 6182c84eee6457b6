import AsyncHTTPClient
import Foundation
import Logging
import MCP
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The client side of MCP's Streamable HTTP transport, on AsyncHTTPClient, for the swift-sdk's `Client`.
///
/// Each message is one `POST`; the answer is read whether it comes as one JSON body or as an event stream, and
/// every JSON-RPC message in it is handed to the client. The session id from the `initialize` response and the
/// negotiated protocol version go on every later request. After initialization a `GET` stream carries messages the
/// server sends on its own (such as `notifications/tools/list_changed`), when the server offers one. `disconnect()`
/// ends the session with a `DELETE`.
package actor StreamableHTTPClientTransport: Transport {
    package nonisolated let logger: Logger

    private let endpoint: String
    private let bearerToken: String?
    private let httpClient: HTTPClient
    private let requestTimeout: TimeAmount
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation

    private var isConnected = false
    private var sessionID: String?
    private var protocolVersion: String?
    private var listenTask: Task<Void, Never>?

    /// A JSON-RPC message or an event-stream body larger than this is refused.
    package static let maximumBodyBytes = 16 * 1024 * 1024

    /// The HTTP client for MCP servers: a server that cannot be reached fails a request within two seconds, instead
    /// of the request waiting out its whole deadline while connections are retried. The tool provider has its own
    /// reconnection loop.
    package static let defaultHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// - Parameters:
    ///   - endpoint: the server's MCP URL, e.g. `https://bookings.example.com/mcp`.
    ///   - bearerToken: sent as `Authorization: Bearer …` when set.
    ///   - requestTimeout: how long one request (connect, send, read the whole answer) may take.
    package init(
        endpoint: URL,
        bearerToken: String?,
        httpClient: HTTPClient = defaultHTTPClient,
        requestTimeout: Duration = .seconds(30),
        logger: Logger
    ) {
        self.endpoint = endpoint.absoluteString
        self.bearerToken = bearerToken
        self.httpClient = httpClient
        self.requestTimeout = .nanoseconds(
            requestTimeout.components.seconds * 1_000_000_000 + requestTimeout.components.attoseconds / 1_000_000_000
        )
        self.logger = logger
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    package func connect() async throws {
        isConnected = true
    }

    package func disconnect() async {
        guard isConnected else { return }
        isConnected = false
        listenTask?.cancel()
        listenTask = nil
        if let sessionID {
            var request = makeRequest(method: .DELETE)
            request.headers.replaceOrAdd(name: "Mcp-Session-Id", value: sessionID)
            do {
                // 405 means the server does not let clients end sessions; that is allowed.
                let response = try await httpClient.execute(request, timeout: .seconds(2), logger: logger)
                _ = try? await response.body.collect(upTo: 64 * 1024)
            } catch {
                logger.debug("MCP session not ended", metadata: ["reason": "\(error)"])
            }
            self.sessionID = nil
        }
        continuation.finish()
    }

    /// The `Mcp-Session-Id` the server assigned, if any.
    package var currentSessionID: String? { sessionID }

    package func receive() -> AsyncThrowingStream<Data, any Error> {
        messages
    }

    package func send(_ data: Data) async throws {
        guard isConnected else { throw StreamableHTTPError.notConnected }
        let sent = try? JSONDecoder().decode(MessagePeek.self, from: data)
        let method = sent?.method
        var request = makeRequest(method: .POST)
        request.headers.replaceOrAdd(name: "Accept", value: "application/json, text/event-stream")
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: data))
        let sentSession = request.headers.contains(name: "Mcp-Session-Id")

        let response = try await httpClient.execute(request, timeout: requestTimeout, logger: logger)
        if method == "initialize", let assigned = response.headers.first(name: "Mcp-Session-Id") {
            sessionID = assigned
        }
        try await Self.checkStatus(response, sentSession: sentSession)

        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        // A request (it has an id and a method) must get its response in this answer.
        var answered = sent?.id == nil || method == nil
        if response.status == .accepted || response.status == .noContent {
            _ = try await response.body.collect(upTo: Self.maximumBodyBytes)
        } else if contentType.hasPrefix("text/event-stream") {
            var parser = ServerSentEventParser()
            for try await chunk in response.body {
                // An event without data primes the stream for resumption; it carries no message.
                for event in parser.parse(chunk.readableBytesView) where event.type == "message" && !event.data.isEmpty
                {
                    let message = Data(event.data.utf8)
                    if !answered { answered = Self.isResponse(message, to: sent?.id) }
                    deliver(message, answering: method)
                }
            }
        } else if contentType.hasPrefix("application/json") {
            let body = try await response.body.collect(upTo: Self.maximumBodyBytes)
            if body.readableBytes > 0 {
                let message = Data(buffer: body)
                if !answered { answered = Self.isResponse(message, to: sent?.id) }
                deliver(message, answering: method)
            }
        } else {
            let body = try await response.body.collect(upTo: Self.maximumBodyBytes)
            guard body.readableBytes == 0 else { throw StreamableHTTPError.unexpectedContentType(contentType) }
        }
        // Without this the client would wait for an answer that is not coming.
        guard answered else { throw StreamableHTTPError.noResponse }

        if method == "notifications/initialized", sessionID != nil, listenTask == nil {
            listenTask = Task { await self.listen() }
        }
    }

    // MARK: Requests

    private func makeRequest(method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint)
        request.method = method
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        if let sessionID { request.headers.add(name: "Mcp-Session-Id", value: sessionID) }
        if let protocolVersion { request.headers.add(name: "MCP-Protocol-Version", value: protocolVersion) }
        return request
    }

    private static func checkStatus(_ response: HTTPClientResponse, sentSession: Bool) async throws {
        let status = Int(response.status.code)
        guard !(200..<300).contains(status) else { return }
        let body = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
        switch status {
        case 404 where sentSession: throw StreamableHTTPError.sessionExpired
        case 401, 403: throw StreamableHTTPError.unauthorized(status: status)
        default: throw StreamableHTTPError.unexpectedStatus(status, body: String(body.prefix(200)))
        }
    }

    private func deliver(_ message: Data, answering method: String?) {
        if method == "initialize", protocolVersion == nil,
            let answer = try? JSONDecoder().decode(InitializeAnswer.self, from: message)
        {
            protocolVersion = answer.result?.protocolVersion
        }
        continuation.yield(message)
    }

    /// Whether `message` is the response (result or error) to the request with `id`.
    private static func isResponse(_ message: Data, to id: MessagePeek.ID?) -> Bool {
        guard let id, let peek = try? JSONDecoder().decode(MessagePeek.self, from: message) else { return false }
        return peek.method == nil && peek.id == id
    }

    /// The `method` and `id` of a JSON-RPC message: a request has both, a notification only a method, a response
    /// only an id. A batch decodes as neither.
    private struct MessagePeek: Decodable {
        enum ID: Decodable, Equatable {
            case number(Int)
            case text(String)

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Int.self) {
                    self = .number(number)
                } else {
                    self = .text(try container.decode(String.self))
                }
            }
        }

        var method: String?
        var id: ID?
    }

    private struct InitializeAnswer: Decodable {
        struct Result: Decodable { var protocolVersion: String }
        var result: Result?
    }

    // MARK: The server's own stream

    /// Reads the optional `GET` stream until disconnect, reconnecting after the server's `retry` delay (1 s by
    /// default). A `405` means the server offers no such stream.
    private func listen() async {
        var lastEventID = ""
        while isConnected, !Task.isCancelled {
            var retry = Duration.seconds(1)
            var request = makeRequest(method: .GET)
            request.headers.replaceOrAdd(name: "Accept", value: "text/event-stream")
            if !lastEventID.isEmpty { request.headers.replaceOrAdd(name: "Last-Event-ID", value: lastEventID) }
            do {
                let response = try await httpClient.execute(request, deadline: .distantFuture, logger: logger)
                let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
                guard response.status == .ok, contentType.hasPrefix("text/event-stream") else {
                    logger.debug(
                        "The MCP server offers no stream of its own",
                        metadata: ["status": "\(response.status.code)"]
                    )
                    _ = try? await response.body.collect(upTo: 64 * 1024)
                    return
                }
                var parser = ServerSentEventParser()
                for try await chunk in response.body {
                    for event in parser.parse(chunk.readableBytesView)
                    where event.type == "message" && !event.data.isEmpty {
                        continuation.yield(Data(event.data.utf8))
                    }
                }
                lastEventID = parser.lastEventID
                if let milliseconds = parser.retryMilliseconds { retry = .milliseconds(milliseconds) }
            } catch {
                guard !Task.isCancelled else { return }
                logger.debug("The MCP server's stream broke", metadata: ["reason": "\(error)"])
            }
            try? await Task.sleep(for: retry)
        }
    }
}
