import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import VoiceTesting

@testable import VoiceServer

/// A browser's part in the dashboard's route tests: keeps the cookies it is given, does not follow redirects, and
/// reads the CSRF token out of the page it last loaded.
final class DashboardClient: @unchecked Sendable {
    struct Page {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        var location: String? { headers.first(name: "Location") }

        /// The value of the first hidden `csrf` field.
        var csrf: String? {
            guard let range = body.range(of: #"name="csrf" value=""#) else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    let base: String
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    /// name → (value, the whole Set-Cookie line).
    private(set) var cookies: [String: (value: String, line: String)] = [:]

    init(_ server: VoiceApplication) async throws {
        _ = try await eventually { server.adminPort.value != nil }
        base = "http://127.0.0.1:\(try #require(server.adminPort.value))"
    }

    func shutdown() async throws {
        try await client.shutdown()
    }

    func get(_ path: String) async throws -> Page {
        try await send(HTTPClientRequest(url: base + path))
    }

    func post(_ path: String, _ fields: [(String, String)], extraHeaders: [(String, String)] = []) async throws -> Page
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        var components = URLComponents()
        components.queryItems = fields.map { URLQueryItem(name: $0.0, value: $0.1) }
        let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    /// Signs in with `token` through the form; the response to the form's POST.
    @discardableResult
    func signIn(token: String) async throws -> Page {
        let form = try await get("/dashboard/login")
        return try await post("/dashboard/login", [("csrf", form.csrf ?? ""), ("token", token)])
    }

    func forget(cookie name: String) {
        cookies[name] = nil
    }

    func set(cookie name: String, value: String) {
        cookies[name] = (value, "\(name)=\(value)")
    }

    private func send(_ request: HTTPClientRequest) async throws -> Page {
        var request = request
        let sent = cookies.filter { !$0.value.value.isEmpty }.map { "\($0.key)=\($0.value.value)" }
        if !sent.isEmpty { request.headers.add(name: "Cookie", value: sent.joined(separator: "; ")) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 8 << 20))
        for line in response.headers["Set-Cookie"] {
            let pair = line.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            cookies[String(pair[0])] = (String(pair[1]), line)
        }
        return Page(status: Int(response.status.code), headers: response.headers, body: body)
    }
}
