import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServerConfiguration
import Testing
import TwilioMedia
import TwilioWebhooks

/// The URL Twilio signed, rebuilt from the configured origin or the proxy's headers, and the middleware that checks
/// the signature on it.
struct TwilioWebhooksTests {
    struct Context: TwilioWebhookRequestContext {
        var coreContext: CoreRequestContextStorage
        var twilioParameters = FormParameters()
        var isFromLoopback: Bool { false }
        var remoteAddress: SocketAddress? { nil }
        init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
    }

    static let token = "f00dfeedf00dfeedf00dfeedf00dfeed"

    /// An application with one webhook behind the authenticator, which echoes the `CallSid` it was given.
    static func application(publicBaseURL: String?) throws -> some ApplicationProtocol {
        let router = Router(context: Context.self)
        let base = try publicBaseURL.map { try PublicBaseURL(parsing: $0, variable: "PUBLIC_BASE_URL") }
        router.group("hook")
            .add(
                middleware: TwilioWebhookAuthenticator(
                    validator: { TwilioSignatureValidator(authToken: token) },
                    urlResolver: PublicURLResolver(publicBaseURL: base)
                )
            )
            .post("call") { _, context in context.twilioParameters["CallSid"] ?? "none" }
        return Application(router: router)
    }

    static func post(
        _ client: some TestClientProtocol,
        signedFor url: String,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        let parameters = FormParameters([("CallSid", "CA1"), ("From", "+14155552671")])
        var headers: HTTPFields = [
            .contentType: "application/x-www-form-urlencoded",
            twilioSignatureHeader: TwilioSignatureValidator(authToken: token).signature(
                url: url,
                parameters: parameters
            ),
        ]
        headers.append(contentsOf: extra)
        return try await client.execute(
            uri: "/hook/call?x=1",
            method: .post,
            headers: headers,
            body: ByteBuffer(string: parameters.formEncoded)
        )
    }

    @Test func theConfiguredOriginIsWhatIsSignedWhateverTheHeadersSay() async throws {
        let app = try Self.application(publicBaseURL: "https://voice.example.com/")
        try await app.test(.router) { client in
            let forwarded: HTTPFields = [HTTPField.Name("X-Forwarded-Host")!: "evil.example.com"]
            let good = try await Self.post(
                client,
                signedFor: "https://voice.example.com/hook/call?x=1",
                headers: forwarded
            )
            #expect(good.status == .ok)
            #expect(String(buffer: good.body) == "CA1")
            let wrong = try await Self.post(
                client,
                signedFor: "https://evil.example.com/hook/call?x=1",
                headers: forwarded
            )
            #expect(wrong.status == .forbidden)
        }
    }

    @Test func withoutAnOriginTheProxysHeadersAreUsed() async throws {
        let app = try Self.application(publicBaseURL: nil)
        try await app.test(.router) { client in
            let headers: HTTPFields = [
                HTTPField.Name("X-Forwarded-Proto")!: "https, http",
                HTTPField.Name("X-Forwarded-Host")!: "abc.ngrok.app",
            ]
            let response = try await Self.post(
                client,
                signedFor: "https://abc.ngrok.app/hook/call?x=1",
                headers: headers
            )
            #expect(response.status == .ok)
        }
    }

    @Test func anUnsignedWebhookIsRefused() async throws {
        let app = try Self.application(publicBaseURL: "https://voice.example.com")
        try await app.test(.router) { client in
            let response = try await client.execute(
                uri: "/hook/call",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "CallSid=CA1")
            )
            #expect(response.status == .forbidden)
        }
    }

    @Test func theStreamURLUsesTheWebSocketSchemeOfTheOrigin() throws {
        let https = PublicURLResolver(publicBaseURL: try PublicBaseURL(parsing: "https://v.example.com", variable: "X"))
        let http = PublicURLResolver(publicBaseURL: try PublicBaseURL(parsing: "http://localhost:8080", variable: "X"))
        let request = Request(
            head: HTTPRequest(method: .get, scheme: nil, authority: "ignored", path: "/media-stream"),
            body: RequestBody(buffer: ByteBuffer())
        )
        #expect(https.streamURL(for: request) == "wss://v.example.com/media-stream")
        #expect(http.streamURL(for: request) == "ws://localhost:8080/media-stream")
    }
}
