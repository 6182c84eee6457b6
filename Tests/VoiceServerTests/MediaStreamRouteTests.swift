import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Testing
import TwilioMedia
import VoiceTesting

@testable import VoiceServer

/// The media stream over real WebSockets on loopback.
@Suite(.timeLimit(.minutes(1)))
struct MediaStreamRouteTests {
    static let streamURL = "wss://voice.example-movers.com/media-stream"

    static func signedConfiguration(
        signature: String? = TestValues.validator.signature(url: streamURL),
        maxFrameSize: Int = 1 << 20
    )
        -> WebSocketClientConfiguration
    {
        var headers: HTTPFields = [:]
        headers[TestValues.signatureHeader] = signature
        return WebSocketClientConfiguration(maxFrameSize: maxFrameSize, additionalHeaders: headers)
    }

    /// Now, as the webhook writes it in `issuedAt`.
    static var now: String { String(Int(Date().timeIntervalSince1970)) }

    /// The token the webhook gives a stream for `callSid` from the test caller, issued at `issuedAt`.
    static func token(callSid: String, issuedAt: String = now) -> String {
        TestValues.validator.streamToken(
            callSid: callSid,
            parameters: ["callSid": callSid, "from": TestValues.callerNumber, "issuedAt": issuedAt]
        )
    }

    static func startMessage(callSid: String, streamSid: String, token: String? = nil, issuedAt: String = now) -> String
    {
        let token = token ?? Self.token(callSid: callSid, issuedAt: issuedAt)
        return """
            {"event":"start","sequenceNumber":"1","streamSid":"\(streamSid)","start":{"accountSid":"\(TestValues.accountSid)",\
            "streamSid":"\(streamSid)","callSid":"\(callSid)","tracks":["inbound"],\
            "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},\
            "customParameters":{"callSid":"\(callSid)","from":"\(TestValues.callerNumber)","issuedAt":"\(issuedAt)",\
            "streamToken":"\(token)"}}}
            """
    }

    static func mediaMessage(streamSid: String, chunk: Int) -> String {
        let payload = Data(repeating: 0xFF, count: 160).base64EncodedString()
        return """
            {"event":"media","sequenceNumber":"\(chunk + 1)","streamSid":"\(streamSid)",\
            "media":{"track":"inbound","chunk":"\(chunk)","timestamp":"\(chunk * 20)","payload":"\(payload)"}}
            """
    }

    static func stopMessage(callSid: String, streamSid: String) -> String {
        #"{"event":"stop","sequenceNumber":"99","streamSid":"\#(streamSid)","stop":{"accountSid":"\#(TestValues.accountSid)","callSid":"\#(callSid)"}}"#
    }

    static func activeCalls(_ client: any TestClientProtocol) async throws -> Int {
        try await client.execute(uri: "/health", method: .get) { response in
            try JSONDecoder().decode(HealthController.Report.self, from: Data(String(buffer: response.body).utf8))
                .activeCalls
        }
    }

    /// Active calls drop when the server's handler finishes, just after the close frame; wait for it briefly.
    static func waitForActiveCalls(_ expected: Int, _ client: any TestClientProtocol) async throws -> Int {
        var count = try await activeCalls(client)
        for _ in 0..<100 where count != expected {
            try await Task.sleep(for: .milliseconds(20))
            count = try await activeCalls(client)
        }
        return count
    }

    @Test func aSignedStreamStartsIsCountedAndStops() async throws {
        try await withCallServer { client, server, _ in
            let port = try #require(client.port)
            let closeFrame = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/media-stream",
                configuration: Self.signedConfiguration(),
                logger: Logger(label: "caller")
            ) { inbound, outbound, _ in
                try await outbound.write(.text(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#))
                try await outbound.write(.text(Self.startMessage(callSid: "CA1", streamSid: "MZ1")))
                for chunk in 1...5 {
                    try await outbound.write(.text(Self.mediaMessage(streamSid: "MZ1", chunk: chunk)))
                }
                try await outbound.write(.text(#"{"event":"mark","streamSid":"MZ1","mark":{"name":"m1"}}"#))
                try await outbound.write(
                    .text(#"{"event":"dtmf","streamSid":"MZ1","dtmf":{"track":"inbound_track","digit":"7"}}"#)
                )
                try await outbound.write(.text(#"{"event":"somethingNew","streamSid":"MZ1"}"#))
                #expect(try await Self.waitForActiveCalls(1, client) == 1)
                #expect(await server.callRegistry.call("CA1")?.phase == .streaming(streamSid: "MZ1"))
                try await outbound.write(.text(Self.stopMessage(callSid: "CA1", streamSid: "MZ1")))
                for try await _ in inbound {}
            }
            #expect(closeFrame?.closeCode == .normalClosure)
            #expect(try await Self.waitForActiveCalls(0, client) == 0)
            #expect(await server.callRegistry.call("CA1")?.phase == .streamEnded)
        }
    }

    @Test func aStreamClosedWithoutStopIsNoLongerCounted() async throws {
        try await withCallServer { client, server, _ in
            let port = try #require(client.port)
            try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/media-stream",
                configuration: Self.signedConfiguration(),
                logger: Logger(label: "caller")
            ) { _, outbound, _ in
                try await outbound.write(.text(Self.startMessage(callSid: "CA7", streamSid: "MZ7")))
                #expect(try await Self.waitForActiveCalls(1, client) == 1)
            }
            #expect(try await Self.waitForActiveCalls(0, client) == 0)
            #expect(await server.callRegistry.call("CA7")?.phase == .streamEnded)
        }
    }

    /// A signed upgrade that never sends `start` is closed after 5 s, and never becomes a call (issue 13).
    @Test func aStreamThatNeverStartsIsClosedAfterFiveSeconds() async throws {
        let logs = LogRecorder()
        try await withCallServer(logs: logs) { client, server, realtime in
            let port = try #require(client.port)
            let opened = ContinuousClock.now
            let closeFrame = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/media-stream",
                configuration: Self.signedConfiguration(),
                logger: Logger(label: "caller")
            ) { inbound, outbound, _ in
                try await outbound.write(.text(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#))
                for try await _ in inbound {}
            }
            #expect(closeFrame?.closeCode == .policyViolation)
            #expect(ContinuousClock.now - opened >= .seconds(5))
            #expect(try await Self.activeCalls(client) == 0)
            #expect(realtime.observations.connections == 0)
        }
        #expect(logs.entries.contains { $0.message == "Closing media stream" && $0.line.contains("no start") })
    }

    @Test(arguments: [nil, "bm90IHRoZSByaWdodCBzaWduYXR1cmU=", "garbage"])
    func anUnsignedOrWronglySignedUpgradeIsRefused(signature: String?) async throws {
        try await withCallServer { client, _, _ in
            var headers: HTTPFields = [:]
            headers[TestValues.signatureHeader] = signature
            try await client.execute(uri: "/media-stream", method: .get, headers: headers) { response in
                #expect(response.status == .forbidden)
            }
            let port = try #require(client.port)
            await #expect(throws: WebSocketClientError.webSocketUpgradeFailed) {
                try await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/media-stream",
                    configuration: Self.signedConfiguration(signature: signature),
                    logger: Logger(label: "caller")
                ) { _, _, _ in
                    Issue.record("the upgrade should have been refused")
                }
            }
            #expect(try await Self.activeCalls(client) == 0)
        }
    }

    /// The status of a WebSocket upgrade request to `/media-stream` with `signature`.
    static func upgradeStatus(port: Int, signature: String?) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/media-stream")
        request.headers.add(name: "Connection", value: "Upgrade")
        request.headers.add(name: "Upgrade", value: "websocket")
        request.headers.add(name: "Sec-WebSocket-Version", value: "13")
        request.headers.add(name: "Sec-WebSocket-Key", value: "dGhlIHNhbXBsZSBub25jZQ==")
        if let signature { request.headers.add(name: "X-Twilio-Signature", value: signature) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        return Int(response.status.code)
    }

    @Test func aRefusedUpgradeAnswers403AndRepeatedOnesGet429() async throws {
        let metrics = ServerMetrics()
        try await withCallServer(metrics: metrics) { client, _, _ in
            let port = try #require(client.port)
            // Other requests are not rewritten: a signed webhook without a CallSid stays a bad request.
            let missingCallSid = try await client.postForm(
                "/voice/incoming",
                fields: [("AccountSid", TestValues.accountSid)],
                signedFor: TestValues.publicBaseURL + "/voice/incoming"
            )
            #expect(missingCallSid.status == .badRequest)
            // A refused upgrade is unauthorised, not malformed: 403, not hummingbird-websocket's 400.
            #expect(try await Self.upgradeStatus(port: port, signature: nil) == 403)
            for _ in 0..<9 {
                #expect(try await Self.upgradeStatus(port: port, signature: "forged") == 403)
            }
            // Ten bad signatures from one address: it is turned away for a while, even with a good one.
            let good = TestValues.validator.signature(url: Self.streamURL)
            #expect(try await Self.upgradeStatus(port: port, signature: good) == 429)
            let scrape = String(decoding: metrics.scrape(), as: UTF8.self)
            #expect(CallTests.sample(#"voice_refusals_total{reason="bad_signature"}"#, in: scrape) == 10)
            #expect(CallTests.sample(#"voice_refusals_total{reason="too_many_bad_signatures"}"#, in: scrape) == 1)
            // The webhooks share the count: the address is turned away there too.
            let webhook = try await client.postForm(
                "/voice/incoming",
                fields: TestValues.incomingCallForm(),
                signedFor: TestValues.publicBaseURL + "/voice/incoming"
            )
            #expect(webhook.status == .tooManyRequests)
        }
    }

    @Test func aStreamReplayedAfterItsCallEndedIsRefused() async throws {
        try await withCallServer { client, server, realtime in
            let port = try #require(client.port)
            let start = Self.startMessage(callSid: "CAR", streamSid: "MZR")
            for attempt in 0..<2 {
                let close = try await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/media-stream",
                    configuration: Self.signedConfiguration(),
                    logger: Logger(label: "caller")
                ) { inbound, outbound, _ in
                    try await outbound.write(.text(start))
                    if attempt == 0 {
                        _ = try await eventually { await server.callRegistry.call("CAR")?.phase != .answered }
                        try await outbound.write(.text(Self.stopMessage(callSid: "CAR", streamSid: "MZR")))
                    }
                    for try await _ in inbound {}
                }
                // The call's own stream ends normally; the same start again is refused.
                #expect(close?.closeCode == (attempt == 0 ? .normalClosure : .policyViolation))
            }
            // The replay opened no Realtime session (the first stream may end before its own was upgraded).
            #expect(realtime.observations.upgradeAttempts <= 1)
        }
    }

    @Test func theUpgradeAcceptsTheTrailingSlashSignature() async throws {
        try await withCallServer { client, _, _ in
            let signature = TestValues.validator.signature(url: Self.streamURL + "/")
            let port = try #require(client.port)
            let closeFrame = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/media-stream",
                configuration: Self.signedConfiguration(signature: signature),
                logger: Logger(label: "caller")
            ) { inbound, outbound, _ in
                try await outbound.write(.text(Self.startMessage(callSid: "CA2", streamSid: "MZ2")))
                try await outbound.write(.text(Self.stopMessage(callSid: "CA2", streamSid: "MZ2")))
                for try await _ in inbound {}
            }
            #expect(closeFrame?.closeCode == .normalClosure)
        }
    }

    enum BadInput: String, CaseIterable, CustomTestStringConvertible {
        case malformedJSON, wrongTypes, binaryFrame, mediaBeforeStart, stopBeforeStart, secondStart
        case otherStreamSid, forgedStreamToken, tamperedCaller, secondStreamForALiveCall, expiredStreamToken
        case hugeFrame, hugeFragmentedMessage, frameOverTheTransportLimit

        var testDescription: String { rawValue }

        var expectedCloseCode: WebSocketErrorCode {
            switch self {
            case .malformedJSON, .wrongTypes: .dataInconsistentWithMessage
            case .binaryFrame: .unacceptableData
            case .mediaBeforeStart, .stopBeforeStart, .secondStart, .otherStreamSid: .protocolError
            case .forgedStreamToken, .tamperedCaller, .secondStreamForALiveCall, .expiredStreamToken: .policyViolation
            case .hugeFrame, .hugeFragmentedMessage, .frameOverTheTransportLimit: .messageTooLarge
            }
        }

        /// Refused at or before `start`: no Realtime session may open for it.
        var opensNoRealtimeSession: Bool {
            switch self {
            case .malformedJSON, .binaryFrame, .mediaBeforeStart, .stopBeforeStart, .forgedStreamToken, .tamperedCaller,
                .secondStreamForALiveCall, .expiredStreamToken:
                true
            case .wrongTypes, .secondStart, .otherStreamSid, .hugeFrame, .hugeFragmentedMessage,
                .frameOverTheTransportLimit:
                false
            }
        }

        func send(_ outbound: WebSocketOutboundWriter) async throws {
            let start = MediaStreamRouteTests.startMessage(callSid: "CAB", streamSid: "MZB")
            switch self {
            case .malformedJSON:
                try await outbound.write(.text(#"{"event":"media","#))
            case .wrongTypes:
                try await outbound.write(.text(start))
                try await outbound.write(.text(#"{"event":"media","streamSid":"MZB","media":{"payload":12}}"#))
            case .binaryFrame:
                try await outbound.write(.binary(ByteBuffer(bytes: [0xFF, 0x00])))
            case .mediaBeforeStart:
                try await outbound.write(.text(MediaStreamRouteTests.mediaMessage(streamSid: "MZB", chunk: 1)))
            case .stopBeforeStart:
                try await outbound.write(.text(MediaStreamRouteTests.stopMessage(callSid: "CAB", streamSid: "MZB")))
            case .secondStart:
                try await outbound.write(.text(start))
                try await outbound.write(.text(start))
            case .otherStreamSid:
                try await outbound.write(.text(start))
                try await outbound.write(.text(MediaStreamRouteTests.mediaMessage(streamSid: "MZA", chunk: 1)))
            case .tamperedCaller:
                // The token was made for the caller Twilio signed; the stream claims another number.
                let tampered = MediaStreamRouteTests.startMessage(callSid: "CAB", streamSid: "MZB")
                    .replacingOccurrences(of: TestValues.callerNumber, with: "+12125550123")
                try await outbound.write(.text(tampered))
            case .expiredStreamToken:
                // A genuine token, recorded and replayed ten minutes later.
                let issued = String(Int(Date().timeIntervalSince1970) - 600)
                try await outbound.write(
                    .text(MediaStreamRouteTests.startMessage(callSid: "CAB", streamSid: "MZB", issuedAt: issued))
                )
            case .secondStreamForALiveCall:
                // A valid start for call A, whose own stream is open.
                try await outbound.write(.text(MediaStreamRouteTests.startMessage(callSid: "CAA", streamSid: "MZB")))
            case .forgedStreamToken:
                let forged = MediaStreamRouteTests.startMessage(
                    callSid: "CAB",
                    streamSid: "MZB",
                    token: TestValues.validator.streamToken(callSid: "CA-other")
                )
                try await outbound.write(.text(forged))
            case .hugeFrame:
                try await outbound.write(.text(start))
                try await outbound.write(.text(String(repeating: "x", count: 100 * 1024)))
            case .frameOverTheTransportLimit:
                try await outbound.write(.text(start))
                try await outbound.write(
                    .text(String(repeating: "z", count: MediaStreamController.maximumFrameBytes + 1))
                )
            case .hugeFragmentedMessage:
                try await outbound.write(.text(start))
                try await outbound.withTextMessageWriter { write in
                    for _ in 0..<10 {
                        try await write(String(repeating: "y", count: 16 * 1024))
                    }
                }
            }
        }
    }

    /// Stream A is open and streaming while stream B misbehaves: B is closed with a reason, A carries on untouched,
    /// and the server keeps answering.
    @Test(arguments: BadInput.allCases)
    func badInputClosesOnlyThatStream(badInput: BadInput) async throws {
        let logs = LogRecorder()
        try await withCallServer(logs: logs) { client, server, realtime in
            let port = try #require(client.port)
            let url = "ws://127.0.0.1:\(port)/media-stream"
            let closeA = try await WebSocketClient.connect(
                url: url,
                configuration: Self.signedConfiguration(),
                logger: Logger(label: "caller-a")
            ) { inboundA, outboundA, _ in
                try await outboundA.write(.text(Self.startMessage(callSid: "CAA", streamSid: "MZA")))
                try await outboundA.write(.text(Self.mediaMessage(streamSid: "MZA", chunk: 1)))
                // A's `start` is registered by A's own call before B begins.
                #expect(
                    try await eventually {
                        await server.callRegistry.call("CAA")?.phase == .streaming(streamSid: "MZA")
                    }
                )

                let closeB = try await WebSocketClient.connect(
                    url: url,
                    configuration: Self.signedConfiguration(),
                    logger: Logger(label: "caller-b")
                ) { inboundB, outboundB, _ in
                    try await badInput.send(outboundB)
                    for try await _ in inboundB {}
                }
                #expect(closeB?.closeCode == badInput.expectedCloseCode)
                if badInput.opensNoRealtimeSession {
                    // A's session only (opened once A's start was read, which may still be on its way).
                    #expect(try await eventually { realtime.observations.connections == 1 })
                    #expect(realtime.observations.connections == 1)
                }

                for chunk in 2...4 {
                    try await outboundA.write(.text(Self.mediaMessage(streamSid: "MZA", chunk: chunk)))
                }
                #expect(await server.callRegistry.call("CAA")?.phase == .streaming(streamSid: "MZA"))
                #expect(try await Self.waitForActiveCalls(1, client) == 1)
                try await outboundA.write(.text(Self.stopMessage(callSid: "CAA", streamSid: "MZA")))
                for try await _ in inboundA {}
            }
            #expect(closeA?.closeCode == .normalClosure)
            #expect(try await Self.waitForActiveCalls(0, client) == 0)
        }
        let closingLogs = logs.entries.filter {
            $0.level == .warning
                && ["Closing media stream", "Media stream failed", "Media stream ended without stop"].contains(
                    $0.message
                )
        }
        #expect(closingLogs.count == 1)
        if badInput != .frameOverTheTransportLimit {
            #expect(closingLogs.first?.metadata["reason"]?.isEmpty == false)
        }
    }
}
