import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import MCP
import ServiceLifecycle

/// Mounts a ``BookingMCPEndpoint`` in a Hummingbird router (`POST`/`GET`/`DELETE` on one path), with a bearer token
/// when one is configured.
package struct BookingMCPRoutes: Sendable {
    package let endpoint: BookingMCPEndpoint
    /// `MCP_SERVER_TOKEN`; `nil` lets any client in.
    package let token: String?

    /// JSON-RPC messages are small; this bounds what a client can make the server read.
    package static let maximumBodyBytes = 4 * 1024 * 1024

    package init(endpoint: BookingMCPEndpoint, token: String?) {
        self.endpoint = endpoint
        self.token = token
    }

    package func addRoutes<Context: Hummingbird.RequestContext>(to router: Router<Context>, path: RouterPath = "mcp") {
        router.post(path, use: handle)
        router.get(path, use: handle)
        router.delete(path, use: handle)
    }

    @Sendable func handle<Context: Hummingbird.RequestContext>(
        request: Request,
        context: Context
    ) async throws -> Response {
        if let token {
            let presented = request.headers[.authorization] ?? ""
            // Digests compare in constant time, so the comparison does not leak how much of the token matched.
            guard SHA256.hash(data: Data(presented.utf8)) == SHA256.hash(data: Data("Bearer \(token)".utf8)) else {
                return Response(
                    status: .unauthorized,
                    headers: [.wwwAuthenticate: #"Bearer realm="booking""#, .contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"error":"missing or wrong bearer token"}"#))
                )
            }
        }
        var request = request
        let body = try await request.collectBody(upTo: Self.maximumBodyBytes)
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = field.value
        }
        let mcpRequest = MCP.HTTPRequest(
            method: request.method.rawValue,
            headers: headers,
            body: body.readableBytes > 0 ? Data(body.readableBytesView) : nil,
            path: request.uri.path
        )
        return Self.response(from: await endpoint.handle(mcpRequest), openEnded: request.method == .get)
    }

    /// - Parameter openEnded: the answer to a `GET`, the server's own event stream, which lasts as long as the
    ///   session: it ends when the server shuts down, so that a connected client cannot hold the shutdown up.
    static func response(from response: MCP.HTTPResponse, openEnded: Bool = false) -> Response {
        var headers = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { headers[name] = value }
        }
        let status = HTTPResponse.Status(code: response.statusCode)
        switch response {
        case .stream(let stream, _):
            return Response(
                status: status,
                headers: headers,
                body: ResponseBody { writer in
                    if openEnded {
                        // Ends at graceful shutdown; the client reconnects to whichever server is there next.
                        for try await chunk in stream.cancelOnGracefulShutdown() {
                            try await writer.write(ByteBuffer(bytes: chunk))
                        }
                    } else {
                        for try await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                    }
                    try await writer.finish(nil)
                }
            )
        default:
            let body = response.bodyData.map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }
}
