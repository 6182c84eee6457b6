import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServerConfiguration
import Testing
import TwilioMedia
import VoiceTesting

@testable import VoiceServer

@Suite struct VoiceWebhookRouteTests {
    static let incomingURL = TestValues.publicBaseURL + "/voice/incoming"

    @Test func healthReportsStatusVersionUptimeAndActiveCalls() async throws {
        try await withVoiceServer { client, _ in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let report = try JSONDecoder().decode(
                    HealthController.Report.self,
                    from: Data(String(buffer: response.body).utf8)
                )
                #expect(report.status == "ok")
                #expect(report.version == ServerVersion.current)
                #expect(report.uptimeSeconds >= 0)
                #expect(report.activeCalls == 0)
            }
        }
    }

    @Test func signedIncomingCallGetsStreamTwiML() async throws {
        let fields = TestValues.incomingCallForm()
        try await withVoiceServer { client, server in
            let response = try await client.postForm("/voice/incoming", fields: fields, signedFor: Self.incomingURL)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/xml") == true)
            let twiml = try TwiMLElement.parse(String(buffer: response.body))
            #expect(twiml.name == "Response")
            #expect(twiml.children.map(\.name) == ["Connect", "Say", "Hangup"])
            let stream = try #require(twiml.child("Connect")?.child("Stream"))
            #expect(stream.attributes["url"] == "wss://voice.example-movers.com/media-stream")
            var parameters: [String: String] = [:]
            for parameter in stream.children where parameter.name == "Parameter" {
                parameters[parameter.attributes["name"] ?? ""] = parameter.attributes["value"]
            }
            #expect(parameters["callSid"] == "CA0123456789abcdef0123456789abcdef")
            #expect(parameters["from"] == TestValues.callerNumber)
            #expect(parameters["to"] == "+15005550006")
            let token = try #require(parameters["streamToken"])
            // The token is valid for this call with exactly the parameters it came with (issue 13).
            var bound = parameters
            bound["streamToken"] = nil
            #expect(
                TestValues.validator.isValid(
                    streamToken: token,
                    callSid: "CA0123456789abcdef0123456789abcdef",
                    parameters: bound
                )
            )
            #expect(!TestValues.validator.isValid(streamToken: token, callSid: "CA0123456789abcdef0123456789abcdef"))
            #expect(twiml.child("Say")?.text.contains("NYC Quick Movers") == true)
            let call = await server.callRegistry.call("CA0123456789abcdef0123456789abcdef")
            #expect(call?.from == TestValues.callerNumber)
            #expect(call?.phase == .answered)
        }
    }

    @Test func parameterValuesAreXMLEscaped() async throws {
        let fields = TestValues.incomingCallForm(from: #"client:a&b<c>"d'"#)
        try await withVoiceServer { client, _ in
            let response = try await client.postForm("/voice/incoming", fields: fields, signedFor: Self.incomingURL)
            #expect(response.status == .ok)
            let twiml = try TwiMLElement.parse(String(buffer: response.body))
            let parameters = twiml.child("Connect")?.child("Stream")?.children ?? []
            #expect(parameters.contains { $0.attributes == ["name": "from", "value": #"client:a&b<c>"d'"#] })
        }
    }

    enum Refusal: String, CaseIterable, CustomTestStringConvertible {
        case missingSignature, wrongToken, tamperedParameter, otherURL, garbageSignature
        var testDescription: String { rawValue }
    }

    @Test(arguments: Refusal.allCases)
    func badlySignedIncomingCallIsRefused(refusal: Refusal) async throws {
        let fields = TestValues.incomingCallForm()
        var headers = TestValues.signedFormHeaders(url: Self.incomingURL, fields: fields)
        var body = TestValues.formBody(fields)
        switch refusal {
        case .missingSignature:
            headers[TestValues.signatureHeader] = nil
        case .wrongToken:
            headers = TestValues.signedFormHeaders(url: Self.incomingURL, fields: fields, token: "another-token")
        case .tamperedParameter:
            body = body.replacingOccurrences(of: "ringing", with: "rinGing")
        case .otherURL:
            headers = TestValues.signedFormHeaders(url: "https://other.example.com/voice/incoming", fields: fields)
        case .garbageSignature:
            headers[TestValues.signatureHeader] = "%%%"
        }
        try await withVoiceServer { [headers, body] client, server in
            try await client.execute(
                uri: "/voice/incoming",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .forbidden)
                #expect(!String(buffer: response.body).contains("<Response>"))
            }
            #expect(await server.callRegistry.call("CA0123456789abcdef0123456789abcdef") == nil)
        }
    }

    struct ProxyCase: Sendable, CustomTestStringConvertible {
        var name: String
        var publicBaseURL: String?
        var headers: [String: String]
        /// The URL Twilio signed.
        var signedURL: String
        var accepted: Bool
        /// The stream URL expected in the TwiML when accepted.
        var streamURL: String? = nil
        var testDescription: String { name }
    }

    static let proxyCases: [ProxyCase] = [
        .init(
            name: "tunnel sets X-Forwarded-Proto https",
            headers: ["Host": "abc.ngrok.app", "X-Forwarded-Proto": "https"],
            signedURL: "https://abc.ngrok.app/voice/incoming",
            accepted: true,
            streamURL: "wss://abc.ngrok.app/media-stream"
        ),
        .init(
            name: "proxy sets X-Forwarded-Host over an internal Host",
            headers: ["Host": "10.0.0.5:8080", "X-Forwarded-Host": "voice.example.com", "X-Forwarded-Proto": "https"],
            signedURL: "https://voice.example.com/voice/incoming",
            accepted: true,
            streamURL: "wss://voice.example.com/media-stream"
        ),
        .init(
            name: "first of several forwarded values wins",
            headers: [
                "Host": "internal", "X-Forwarded-Host": "voice.example.com, edge.internal",
                "X-Forwarded-Proto": "https, http",
            ],
            signedURL: "https://voice.example.com/voice/incoming",
            accepted: true
        ),
        .init(
            name: "Host with :443 matches the port-free signed URL",
            headers: ["Host": "voice.example.com:443", "X-Forwarded-Proto": "https"],
            signedURL: "https://voice.example.com/voice/incoming",
            accepted: true
        ),
        .init(
            name: "plain http without forwarding headers",
            headers: ["Host": "voice.example.com"],
            signedURL: "http://voice.example.com/voice/incoming",
            accepted: true
        ),
        .init(
            name: "https signature but the proxy did not say https",
            headers: ["Host": "voice.example.com"],
            signedURL: "https://voice.example.com/voice/incoming",
            accepted: false
        ),
        .init(
            name: "signed for the internal host, forwarded host differs",
            headers: ["Host": "internal:8080", "X-Forwarded-Host": "voice.example.com", "X-Forwarded-Proto": "https"],
            signedURL: "https://internal:8080/voice/incoming",
            accepted: false
        ),
        .init(
            name: "PUBLIC_BASE_URL wins over forwarded headers",
            publicBaseURL: "https://voice.example.com",
            headers: ["Host": "internal", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"],
            signedURL: "https://voice.example.com/voice/incoming",
            accepted: true,
            streamURL: "wss://voice.example.com/media-stream"
        ),
        .init(
            name: "forwarded headers cannot redirect a PUBLIC_BASE_URL server",
            publicBaseURL: "https://voice.example.com",
            headers: ["Host": "internal", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"],
            signedURL: "https://evil.example/voice/incoming",
            accepted: false
        ),
    ]

    @Test(arguments: proxyCases)
    func signatureURLIsRebuiltFromProxyHeaders(proxyCase: ProxyCase) async throws {
        var environment = TestValues.environment
        environment["PUBLIC_BASE_URL"] = proxyCase.publicBaseURL
        let fields = TestValues.incomingCallForm()
        var headers = TestValues.signedFormHeaders(url: proxyCase.signedURL, fields: fields)
        for (name, value) in proxyCase.headers {
            headers[HTTPField.Name(name)!] = value
        }
        try await withVoiceServer(environment: environment) { [headers] client, _ in
            let response = try await client.postForm("/voice/incoming", fields: fields, headers: headers)
            #expect(response.status == (proxyCase.accepted ? .ok : .forbidden))
            if let streamURL = proxyCase.streamURL {
                let twiml = try TwiMLElement.parse(String(buffer: response.body))
                #expect(twiml.child("Connect")?.child("Stream")?.attributes["url"] == streamURL)
            }
        }
    }

    /// Rotating the auth token: with the new one as `TWILIO_AUTH_TOKEN_SECONDARY`, webhooks signed with either token
    /// are accepted (Twilio switches when the operator promotes the new token), and a third token still is not.
    @Test func whileTheAuthTokenIsRotatedBothTokensSign() async throws {
        let fields = TestValues.incomingCallForm()
        var environment = TestValues.environment
        environment["TWILIO_AUTH_TOKEN_SECONDARY"] = "0123456789abcdef0123456789abcdef"
        try await withVoiceServer(environment: environment) { client, _ in
            let old = try await client.postForm("/voice/incoming", fields: fields, signedFor: Self.incomingURL)
            #expect(old.status == .ok)
            let new = try await client.postForm(
                "/voice/incoming",
                fields: fields,
                signedFor: Self.incomingURL,
                token: "0123456789abcdef0123456789abcdef"
            )
            #expect(new.status == .ok)
            let other = try await client.postForm(
                "/voice/incoming",
                fields: fields,
                signedFor: Self.incomingURL,
                token: "ffffffffffffffffffffffffffffffff"
            )
            #expect(other.status == .forbidden)
        }
    }

    /// Without a token nothing is checked, so unsigned webhooks and streams are taken only from this machine: a peer
    /// that is not known to be loopback (here the router test's channel, which has no address) is refused.
    @Test func withoutATokenUnsignedRequestsFromElsewhereAreRefused() async throws {
        let fields = TestValues.incomingCallForm()
        try await withVoiceServer(environment: [:]) { client, server in
            let webhook = try await client.postForm(
                "/voice/incoming",
                fields: fields,
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            #expect(webhook.status == .forbidden)
            #expect(await server.callRegistry.call("CA0123456789abcdef0123456789abcdef") == nil)
            let stream = try await client.execute(uri: "/media-stream", method: .get) { $0.status }
            #expect(stream == .forbidden)
        }
    }

    @Test func theQueryStringIsPartOfTheSignedURL() async throws {
        let fields = TestValues.incomingCallForm()
        try await withVoiceServer { client, _ in
            let uri = "/voice/incoming?tenant=a%20b&x=1"
            let withQuery = try await client.postForm(
                uri,
                fields: fields,
                signedFor: Self.incomingURL + "?tenant=a%20b&x=1"
            )
            #expect(withQuery.status == .ok)
            let withoutQuery = try await client.postForm(uri, fields: fields, signedFor: Self.incomingURL)
            #expect(withoutQuery.status == .forbidden)
        }
    }

    /// Over a real loopback connection (a local tunnel forwards from loopback).
    @Test func withoutATokenInDevelopmentUnsignedCallsAreAcceptedFromThisMachine() async throws {
        let logs = LogRecorder()
        let fields = TestValues.incomingCallForm()
        try await withVoiceServer(.live, environment: [:], logs: logs) { client, _ in
            let response = try await client.postForm(
                "/voice/incoming",
                fields: fields,
                headers: [.contentType: "application/x-www-form-urlencoded", .init("Host")!: "localhost:8080"]
            )
            #expect(response.status == .ok)
            let twiml = try TwiMLElement.parse(String(buffer: response.body))
            let stream = try #require(twiml.child("Connect")?.child("Stream"))
            #expect(stream.attributes["url"] == "wss://localhost:8080/media-stream")
            #expect(!stream.children.contains { $0.attributes["name"] == "streamToken" })
        }
        let warnings = logs.entries.filter { $0.level == .warning && $0.message.contains("signatures are NOT checked") }
        #expect(warnings.count == 1)
    }

    @Test func missingCallSidIsABadRequest() async throws {
        let fields = TestValues.incomingCallForm().filter { $0.name != "CallSid" }
        try await withVoiceServer { client, _ in
            let response = try await client.postForm("/voice/incoming", fields: fields, signedFor: Self.incomingURL)
            #expect(response.status == .badRequest)
        }
    }

    @Test func aCallForAnotherAccountIsRefused() async throws {
        var accountFields = TestValues.incomingCallForm()
        accountFields[0].value = "AC99999999999999999999999999999999"
        let fields = accountFields
        try await withVoiceServer { client, server in
            let response = try await client.postForm("/voice/incoming", fields: fields, signedFor: Self.incomingURL)
            #expect(response.status == .forbidden)
            #expect(await server.callRegistry.call("CA0123456789abcdef0123456789abcdef") == nil)
        }
    }

    @Test func anOversizedBodyIsRefused() async throws {
        let fields = TestValues.incomingCallForm() + [("Padding", String(repeating: "x", count: 70 * 1024))]
        try await withVoiceServer { client, _ in
            let response = try await client.postForm("/voice/incoming", fields: fields, signedFor: Self.incomingURL)
            #expect(response.status == .contentTooLarge)
        }
    }

    @Test func statusCallbacksAreRecordedInSequenceOrder() async throws {
        let url = TestValues.publicBaseURL + "/voice/status"
        @Sendable func fields(_ status: String, _ sequence: Int) -> [(name: String, value: String)] {
            [
                ("AccountSid", TestValues.accountSid), ("CallSid", "CA1"), ("CallStatus", status),
                ("SequenceNumber", "\(sequence)"), ("Timestamp", "Tue, 24 Nov 2026 17:03:09 +0000"),
                ("CallbackSource", "call-progress-events"), ("CallDuration", status == "completed" ? "42" : ""),
            ]
        }
        try await withVoiceServer { client, server in
            for (status, sequence) in [("completed", 2), ("in-progress", 1), ("completed", 2), ("ringing", 0)] {
                let form = fields(status, sequence)
                let response = try await client.postForm("/voice/status", fields: form, signedFor: url)
                #expect(response.status == .ok)
            }
            let call = try #require(await server.callRegistry.call("CA1"))
            #expect(call.statusUpdates.map(\.status) == ["ringing", "in-progress", "completed"])
            #expect(call.latestStatus == "completed")
            #expect(call.statusUpdates.last?.durationSeconds == 42)
        }
    }

    @Test func statusCallbackByGETIsSignedOnItsURL() async throws {
        let query = "CallSid=CA2&CallStatus=busy&SequenceNumber=0"
        let url = TestValues.publicBaseURL + "/voice/status?" + query
        try await withVoiceServer { client, server in
            try await client.execute(
                uri: "/voice/status?" + query,
                method: .get,
                headers: [TestValues.signatureHeader: TestValues.validator.signature(url: url)]
            ) { response in
                #expect(response.status == .ok)
            }
            #expect(await server.callRegistry.call("CA2")?.latestStatus == "busy")
            try await client.execute(
                uri: "/voice/status?CallSid=CA3&CallStatus=busy",
                method: .get,
                headers: [TestValues.signatureHeader: TestValues.validator.signature(url: url)]
            ) { response in
                #expect(response.status == .forbidden)
            }
            #expect(await server.callRegistry.call("CA3") == nil)
        }
    }

    @Test func logsMaskPhoneNumbersAndNeverHoldTheToken() async throws {
        let logs = LogRecorder()
        let fields = TestValues.incomingCallForm()
        try await withVoiceServer(logs: logs) { client, _ in
            let accepted = try await client.postForm("/voice/incoming", fields: fields, signedFor: Self.incomingURL)
            #expect(accepted.status == .ok)
            let refused = try await client.postForm(
                "/voice/incoming",
                fields: fields,
                signedFor: Self.incomingURL,
                token: "wrong"
            )
            #expect(refused.status == .forbidden)
        }
        let lines = logs.entries.map(\.line)
        #expect(lines.contains { $0.contains("from=***2671") })
        #expect(!lines.contains { $0.contains(TestValues.callerNumber) || $0.contains("4155552671") })
        #expect(!lines.contains { $0.contains(TestValues.authToken) })
        #expect(lines.contains { $0.contains("wrong Twilio signature") })
    }
}
