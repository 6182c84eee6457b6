import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import ServerConfiguration

/// Guards the admin listener: with `ADMIN_TOKEN` set, every route but the dashboard's (which has its own sign-in)
/// needs `Authorization: Bearer <ADMIN_TOKEN>`; `/mcp`
/// also takes `MCP_SERVER_TOKEN`, the token MCP clients already hold. Without either token the listener is
/// loopback-only (start-up refuses anything else), and requests pass. The tokens are read from `secrets` at each
/// request, so a reload (`SIGHUP`) changes them at once.
struct AdminAuthenticator<Context: RequestContext>: RouterMiddleware {
    let secrets: SecretStore

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // The dashboard signs staff in itself (a form, then a session cookie): a browser sends no bearer token.
        if request.uri.path == "/dashboard" || request.uri.path.hasPrefix("/dashboard/") {
            return try await next(request, context)
        }
        let secrets = secrets.snapshot
        var accepted = [secrets[.adminToken]?.value].compactMap { $0 }
        if request.uri.path == "/mcp" || request.uri.path.hasPrefix("/mcp/") {
            accepted += [secrets[.mcpServerToken]?.value].compactMap { $0 }
        }
        guard !accepted.isEmpty else { return try await next(request, context) }
        let presented = SHA256.hash(data: Data((request.headers[.authorization] ?? "").utf8))
        // Digests compare in constant time, so the comparison does not leak how much of a token matched.
        var matched = false
        for token in accepted where SHA256.hash(data: Data("Bearer \(token)".utf8)) == presented { matched = true }
        guard matched else {
            return Response(
                status: .unauthorized,
                headers: [.wwwAuthenticate: #"Bearer realm="admin""#, .contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"error":"missing or wrong bearer token"}"#))
            )
        }
        return try await next(request, context)
    }
}
