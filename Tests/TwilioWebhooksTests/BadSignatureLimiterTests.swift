import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import TwilioMedia
import TwilioWebhooks

/// Repeated bad signatures from one address are answered `429` for a while (issue 13).
struct BadSignatureLimiterTests {
    @Test func afterTooManyBadSignaturesEvenAGoodOneGets429UntilTheBlockEnds() async throws {
        let limiter = BadSignatureLimiter(policy: .init(failures: 3, window: .seconds(60), blockFor: .seconds(300)))
        let refusals = RefusalLog()
        let router = Router(context: TwilioWebhooksTests.Context.self)
        router.group("hook")
            .add(
                middleware: TwilioWebhookAuthenticator(
                    validator: { TwilioSignatureValidator(authToken: TwilioWebhooksTests.token) },
                    urlResolver: PublicURLResolver(publicBaseURL: nil),
                    limiter: limiter,
                    onRefusal: { refusals.append($0) }
                )
            )
            .post("call") { _, context in context.twilioParameters["CallSid"] ?? "none" }
        try await Application(router: router).test(.router) { client in
            let url = "http://localhost/hook/call"
            for _ in 0..<3 {
                let response = try await client.execute(
                    uri: "/hook/call",
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", twilioSignatureHeader: "forged"],
                    body: ByteBuffer(string: "CallSid=CA1")
                ) { $0 }
                #expect(response.status == .forbidden)
            }
            let signed = try await TwilioWebhooksTests.post(client, signedFor: url)
            #expect(signed.status == .tooManyRequests)
            let retryAfter = try #require(signed.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...300).contains(retryAfter))
        }
        #expect(refusals.entries == [.badSignature, .badSignature, .badSignature, .tooManyBadSignatures])
    }

    @Test func theBlockEndsAndOldFailuresAreForgotten() {
        let limiter = BadSignatureLimiter(policy: .init(failures: 2, window: .seconds(60), blockFor: .seconds(300)))
        let start = ContinuousClock.now
        #expect(!limiter.recordFailure("203.0.113.9", now: start))
        // A failure outside the window does not add to the old one.
        #expect(!limiter.recordFailure("203.0.113.9", now: start + .seconds(61)))
        #expect(limiter.retryAfter("203.0.113.9", now: start + .seconds(61)) == nil)
        #expect(limiter.recordFailure("203.0.113.9", now: start + .seconds(62)))
        #expect(limiter.retryAfter("203.0.113.9", now: start + .seconds(62)) == .seconds(300))
        #expect(limiter.retryAfter("198.51.100.7", now: start + .seconds(62)) == nil)
        #expect(limiter.retryAfter("203.0.113.9", now: start + .seconds(363)) == nil)
    }

    @Test func theClientBehindAPrivateProxyIsTheLastForwardedAddress() throws {
        let proxy = try SocketAddress(ipAddress: "10.1.2.3", port: 443)
        let internet = try SocketAddress(ipAddress: "203.0.113.9", port: 443)
        let forwarded: HTTPFields = [.init("X-Forwarded-For")!: "198.51.100.1, 192.0.2.44"]
        #expect(BadSignatureLimiter.clientAddress(peer: proxy, headers: forwarded) == "192.0.2.44")
        // A client on the internet cannot choose whom it is counted as.
        #expect(BadSignatureLimiter.clientAddress(peer: internet, headers: forwarded) == "203.0.113.9")
        #expect(BadSignatureLimiter.clientAddress(peer: proxy, headers: [:]) == "10.1.2.3")
    }
}

/// The refusals an authenticator reported.
final class RefusalLog: Sendable {
    private let storage = Mutex<[TwilioRequestRefusal]>([])
    var entries: [TwilioRequestRefusal] { storage.withLock { $0 } }
    func append(_ refusal: TwilioRequestRefusal) { storage.withLock { $0.append(refusal) } }
}
