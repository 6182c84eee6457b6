import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import TwilioMedia

/// A caller as Twilio presents one to the server: a signed webhook, then a signed Media Streams WebSocket carrying
/// 20 ms µ-law frames at real-time pace, with real-time playback of the assistant's audio that echoes marks in
/// order and returns every pending mark at a `clear` (`../shared/protocols/twilio.md` §3).
package struct SimulatedCaller: Sendable {
    package struct Configuration: Sendable {
        /// Where the server listens, e.g. `http://127.0.0.1:8080`.
        package var serverURL: String
        /// The origin Twilio believes it calls (`PUBLIC_BASE_URL`): what the signatures cover.
        package var publicBaseURL: String
        /// Signs the webhook and the upgrade; `nil` sends them unsigned.
        package var authToken: String?
        package var accountSid = "AC0123456789abcdef0123456789abcdef"
        package var callSid = "CA" + String(repeating: "0", count: 32)
        package var streamSid = "MZ" + String(repeating: "0", count: 32)
        package var from = "+14155552671"
        package var to = "+15005550006"
        /// Twilio's SHAKEN/STIR result for `from`, e.g. `TN-Validation-Passed-A`; `nil` sends none.
        package var stirVerstat: String?

        package init(serverURL: String, publicBaseURL: String, authToken: String?) {
            self.serverURL = serverURL
            self.publicBaseURL = publicBaseURL
            self.authToken = authToken
        }
    }

    package enum Step: Sendable {
        /// Send silence for this long.
        case silence(milliseconds: Int)
        /// Speak (a loud tone) for this long.
        case speak(milliseconds: Int)
        /// Say these µ-law samples (8 kHz), 20 ms a frame, then fall silent; waits until they are all sent.
        case say([UInt8])
        /// Keep listening until this much assistant audio has played in all.
        case waitForPlayedAudio(milliseconds: Int, timeout: Duration = .seconds(10))
        /// Keep listening until this much assistant audio has played since the last `clear`.
        case waitForPlayedAudioAfterClear(milliseconds: Int, timeout: Duration = .seconds(10))
        /// Keep listening until the assistant has been quiet (nothing queued) for this long.
        case waitForQuiet(milliseconds: Int, timeout: Duration = .seconds(10))
        /// Press a key on the keypad: Twilio sends a `dtmf` message.
        case pressKey(String)
        /// Send `stop` and wait for the server to close, as Twilio does when the caller hangs up.
        case hangUp
        /// Stays on the line, silent, until the server ends the call; fails after `timeout`.
        case waitForServerToEndCall(timeout: Duration = .seconds(10))
        /// Close the socket without `stop`, as a dropped connection would.
        case dropConnection
    }

    package struct CallFailure: Error, CustomStringConvertible {
        package var description: String
    }

    package let configuration: Configuration
    package let logger: Logger

    package init(configuration: Configuration, logger: Logger = Logger(label: "simulated-caller")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Places the call, runs `steps` while listening, and reports what happened. The call ends after the last
    /// step, or earlier if the server closes the stream.
    package func call(_ steps: [Step]) async throws -> CallerReport {
        let twiml = try await postIncomingCall()
        let path =
            twiml.streamURL.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).dropFirst(3)
            .first.map { "/" + $0 } ?? "/media-stream"
        let webSocketURL =
            configuration.serverURL.replacingOccurrences(of: "http", with: "ws", options: .anchored)
            + path
        var headers = HTTPFields()
        if let token = configuration.authToken {
            headers[HTTPField.Name("X-Twilio-Signature")!] =
                TwilioSignatureValidator(authToken: token).signature(url: twiml.streamURL)
        }
        let state = FakeRecorder(CallerState(report: twiml))
        let closeFrame = try await WebSocketClient.connect(
            url: webSocketURL,
            configuration: WebSocketClientConfiguration(maxFrameSize: 1 << 20, additionalHeaders: headers),
            logger: logger
        ) { inbound, outbound, _ in
            try await run(steps, inbound: inbound, outbound: outbound, state: state, parameters: twiml.streamParameters)
        }
        return state.withLock { state in
            state.report.closeCode = closeFrame?.closeCode
            return state.report
        }
    }

    // MARK: Webhook

    private func postIncomingCall() async throws -> CallerReport {
        var pairs = [
            ("AccountSid", configuration.accountSid), ("ApiVersion", "2010-04-01"), ("CallSid", configuration.callSid),
            ("CallStatus", "ringing"), ("Direction", "inbound"), ("From", configuration.from), ("To", configuration.to),
            ("Caller", configuration.from), ("Called", configuration.to), ("FromCity", "SAN FRANCISCO"),
        ]
        if let verstat = configuration.stirVerstat { pairs.append(("StirVerstat", verstat)) }
        let fields = FormParameters(pairs)
        var request = HTTPClientRequest(url: configuration.serverURL + "/voice/incoming")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        if let token = configuration.authToken {
            let signature = TwilioSignatureValidator(authToken: token)
                .signature(url: configuration.publicBaseURL + "/voice/incoming", parameters: fields)
            request.headers.add(name: "X-Twilio-Signature", value: signature)
        }
        request.body = .bytes(ByteBuffer(string: fields.formEncoded))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw CallFailure(description: "the webhook answered \(response.status.code)")
        }
        let twiml = try TwiMLElement.parse(String(buffer: body))
        guard let stream = twiml.child("Connect")?.child("Stream"), let url = stream.attributes["url"] else {
            throw CallFailure(description: "the TwiML has no <Connect><Stream url>")
        }
        var report = CallerReport()
        report.streamURL = url
        for parameter in stream.children where parameter.name == "Parameter" {
            if let name = parameter.attributes["name"] {
                report.streamParameters[name] = parameter.attributes["value"] ?? ""
            }
        }
        return report
    }

    // MARK: The stream

    private func run(
        _ steps: [Step],
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        state: FakeRecorder<CallerState>,
        parameters: [String: String]
    ) async throws {
        try await outbound.write(.text(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#))
        try await outbound.write(.text(startMessage(parameters: parameters)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await listen(inbound: inbound, outbound: outbound, state: state) }
            group.addTask { try await tick(outbound: outbound, state: state) }
            defer { group.cancelAll() }
            for step in steps {
                guard !state.value.serverClosed else { break }
                switch step {
                case .silence(let milliseconds):
                    state.withLock { $0.speaking = false }
                    try await listen(for: .milliseconds(milliseconds), state: state)
                case .speak(let milliseconds):
                    state.withLock { $0.speaking = true }
                    try await listen(for: .milliseconds(milliseconds), state: state)
                    state.withLock { $0.speaking = false }
                case .say(let samples):
                    state.withLock { $0.utterance = (samples, 0) }
                    let duration = Duration.milliseconds(samples.count / MuLaw.bytesPerMillisecond) + .seconds(5)
                    try await wait(until: duration, state: state) { $0.utterance == nil }
                case .waitForPlayedAudio(let milliseconds, let timeout):
                    try await wait(until: timeout, state: state) { $0.report.playedMilliseconds >= milliseconds }
                case .waitForPlayedAudioAfterClear(let milliseconds, let timeout):
                    try await wait(until: timeout, state: state) { caller in
                        guard let clear = caller.report.clears.last else { return false }
                        return caller.report.playedBytes - clear.playedBytes >= milliseconds * MuLaw.bytesPerMillisecond
                    }
                case .waitForQuiet(let milliseconds, let timeout):
                    try await wait(until: timeout, state: state) { caller in
                        caller.queue.isEmpty && ContinuousClock.now - caller.lastPlayedAt >= .milliseconds(milliseconds)
                    }
                case .pressKey(let digit):
                    let sequence = state.withLock { caller -> Int in
                        caller.sequenceNumber += 1
                        return caller.sequenceNumber
                    }
                    try await outbound.write(
                        .text(
                            #"{"event":"dtmf","streamSid":"\#(configuration.streamSid)","sequenceNumber":"\#(sequence)","#
                                + #""dtmf":{"track":"inbound_track","digit":"\#(digit)"}}"#
                        )
                    )
                case .hangUp:
                    state.withLock { $0.hungUp = true }
                    let stop = """
                        {"event":"stop","sequenceNumber":"\(state.value.sequenceNumber + 1)","streamSid":"\(configuration.streamSid)",\
                        "stop":{"accountSid":"\(configuration.accountSid)","callSid":"\(configuration.callSid)"}}
                        """
                    try await outbound.write(.text(stop))
                    try await wait(until: .seconds(5), state: state) { $0.serverClosed }
                    return
                case .dropConnection:
                    state.withLock { $0.hungUp = true }
                    return
                case .waitForServerToEndCall(let timeout):
                    state.withLock { $0.speaking = false }
                    try await wait(until: timeout, state: state) { $0.serverClosed }
                }
            }
        }
    }

    /// Lets the stream run for `duration`, or until the server closes it.
    private func listen(for duration: Duration, state: FakeRecorder<CallerState>) async throws {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end, !state.value.serverClosed {
            try await Task.sleep(for: min(.milliseconds(5), end - ContinuousClock.now))
        }
    }

    private func wait(
        until timeout: Duration,
        state: FakeRecorder<CallerState>,
        _ condition: @escaping (CallerState) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !state.withLock({ condition($0) || $0.serverClosed }) {
            guard ContinuousClock.now < deadline else { throw FakeTimeout(what: "the simulated caller's condition") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Every 20 ms: send one frame of the caller's audio, and play 20 ms of the assistant's.
    private func tick(outbound: WebSocketOutboundWriter, state: FakeRecorder<CallerState>) async throws {
        let start = ContinuousClock.now
        let speech = Data(MuLaw.tone(milliseconds: 20)).base64EncodedString()
        let silence = Data(MuLaw.silence(milliseconds: 20)).base64EncodedString()
        var chunk = 0
        while !Task.isCancelled {
            chunk += 1
            try await Task.sleep(until: start + .milliseconds(20 * chunk), clock: .continuous)
            let now = ContinuousClock.now
            let (frame, marks) = state.withLock { caller -> (String?, [String]) in
                guard !caller.serverClosed, !caller.hungUp else { return (nil, []) }
                caller.sequenceNumber += 1
                let utterance = caller.nextUtteranceFrame()
                if caller.speaking || utterance != nil, caller.report.firstSpeechSentAt == nil {
                    caller.report.firstSpeechSentAt = now
                }
                let payload = utterance ?? (caller.speaking ? speech : silence)
                let frame = """
                    {"event":"media","sequenceNumber":"\(caller.sequenceNumber)","streamSid":"\(configuration.streamSid)",\
                    "media":{"track":"inbound","chunk":"\(chunk)","timestamp":"\(chunk * 20)","payload":"\(payload)"}}
                    """
                return (frame, caller.play(bytes: MuLaw.frameBytes, at: now))
            }
            guard let frame else { continue }
            try? await outbound.write(.text(frame))
            for mark in marks { try? await outbound.write(.text(markMessage(mark))) }
        }
    }

    private func listen(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        state: FakeRecorder<CallerState>
    ) async {
        do {
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else {
                    state.withLock { $0.report.violations.append("binary frame") }
                    continue
                }
                let now = ContinuousClock.now
                let echoes = state.withLock { $0.receive(text, expectedStreamSid: configuration.streamSid, at: now) }
                for mark in echoes { try? await outbound.write(.text(markMessage(mark))) }
            }
        } catch {
            logger.debug("Simulated caller's stream failed", metadata: ["reason": "\(error)"])
        }
        state.withLock { caller in
            caller.report.serverClosedFirst = !caller.hungUp
            caller.serverClosed = true
        }
    }

    private func markMessage(_ name: String) -> String {
        #"{"event":"mark","streamSid":"\#(configuration.streamSid)","mark":{"name":"\#(name)"}}"#
    }

    private func startMessage(parameters: [String: String]) -> String {
        let custom =
            (try? JSONSerialization.data(withJSONObject: parameters, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return """
            {"event":"start","sequenceNumber":"1","streamSid":"\(configuration.streamSid)","start":{\
            "accountSid":"\(configuration.accountSid)","streamSid":"\(configuration.streamSid)",\
            "callSid":"\(configuration.callSid)","tracks":["inbound"],\
            "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":\(custom)}}
            """
    }
}
