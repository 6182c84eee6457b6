import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import TwilioMedia

/// A stand-in for Twilio's REST API (2010-04-01) on loopback: checks HTTP Basic auth, records every request, keeps
/// the messages it was asked to send, and answers as Twilio does — or with a scripted failure, to test how the
/// server copes.
package final class FakeTwilioREST: Sendable {
    package struct Request: Sendable, Equatable {
        package var method: String
        /// After `/2010-04-01/Accounts/{AccountSid}/`, e.g. `Calls/CA….json`.
        package var resource: String
        package var form: [String: String]
        package var receivedAt: ContinuousClock.Instant
    }

    /// A text Twilio accepted (and, for the fake, sent).
    package struct Message: Sendable, Equatable {
        package var sid: String
        package var to: String
        package var from: String
        package var body: String
        package var statusCallback: String?
        package var createdAt: Date
    }

    /// An error answer in Twilio's shape: `{"code": …, "message": …, "status": …}`.
    package struct Failure: Sendable, Equatable {
        package var status: Int
        package var code: Int?
        package var message: String

        package init(status: Int, code: Int? = nil, message: String = "scripted failure") {
            self.status = status
            self.code = code
            self.message = message
        }
    }

    private struct State: Sendable {
        var requests: [Request] = []
        /// Refused before anything happens: the request is not processed.
        var failures: [Failure] = []
        /// Given after the message was accepted and sent: the client cannot tell.
        var failuresAfterSending: [Failure] = []
        var messages: [Message] = []
        /// While set, answers to `Messages.json` wait (the message is already sent).
        var holdingMessageAnswers = false
        /// While set, a `POST` to `Messages.json` waits before Twilio takes it (nothing is sent yet).
        var holdingMessageRequests = false
        /// Recordings started (`Calls/{CallSid}/Recordings.json`): recording SID → call SID.
        var recordings: [String: String] = [:]
    }

    /// What every recording's `.mp3` holds here: an ID3 header and a few bytes, enough to check they were passed on.
    package static let recordingAudio: [UInt8] =
        Array("ID3".utf8) + [4, 0, 0, 0, 0, 0] + Array(repeating: 0x55, count: 2048)

    /// The recordings started so far: recording SID → call SID.
    package var recordings: [String: String] { state.value.recordings }

    package let accountSid: String
    package let authToken: String
    package let baseURL: URL
    private let state: FakeRecorder<State>

    private init(accountSid: String, authToken: String, port: Int, state: FakeRecorder<State>) {
        self.accountSid = accountSid
        self.authToken = authToken
        self.baseURL = URL(string: "http://127.0.0.1:\(port)")!
        self.state = state
    }

    /// Every request with valid credentials, in arrival order.
    package var requests: [Request] { state.value.requests }

    /// Every text sent, in order.
    package var messages: [Message] { state.value.messages }

    /// The next `count` requests get `failure` instead of being processed.
    package func failNext(_ failure: Failure, count: Int = 1) {
        state.withLock { $0.failures += Array(repeating: failure, count: count) }
    }

    /// The next message is sent, but the answer is `failure`: the ambiguous case, where a client must not simply
    /// send again.
    package func failNextAfterSending(_ failure: Failure) {
        state.withLock { $0.failuresAfterSending.append(failure) }
    }

    /// While `true`, a message is sent at once but its answer is held back, as if the client crashed waiting.
    package func holdMessageAnswers(_ holding: Bool) {
        state.withLock { $0.holdingMessageAnswers = holding }
    }

    /// While `true`, a new message waits before it is taken: it is not sent, nor listed, until released.
    package func holdMessageRequests(_ holding: Bool) {
        state.withLock { $0.holdingMessageRequests = holding }
    }

    package func waitUntil(
        timeout: Duration = .seconds(10),
        _ condition: ([Request]) -> Bool
    ) async throws -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = requests
            if condition(current) { return current }
            guard ContinuousClock.now < deadline else { throw FakeTimeout(what: "the fake Twilio REST API") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Starts the fake on a free loopback port, runs `body`, then stops it.
    package static func run<Value: Sendable>(
        accountSid: String,
        authToken: String,
        logger: Logger = Logger(label: "fake-twilio-rest"),
        _ body: (FakeTwilioREST) async throws -> Value
    ) async throws -> Value {
        let state = FakeRecorder(State())
        let expectedAuthorization = "Basic " + Data("\(accountSid):\(authToken)".utf8).base64EncodedString()
        let router = Router(context: BasicWebSocketRequestContext.self)
        @Sendable func authorized(_ request: Hummingbird.Request, _ context: BasicWebSocketRequestContext) -> Bool {
            request.headers[.authorization] == expectedAuthorization && context.parameters.get("account") == accountSid
        }
        router.post("2010-04-01/Accounts/:account/**") { request, context -> Response in
            guard authorized(request, context) else { return Self.unauthorized }
            let body = try await request.body.collect(upTo: 1 << 20)
            let form = FormParameters(formEncoded: String(buffer: body))
            let fields = Dictionary(form.fields.map { ($0.name, $0.value) }) { first, _ in first }
            let resource = context.parameters.getCatchAll().joined(separator: "/")
            let failure = state.withLock { state -> Failure? in
                state.requests.append(Request(method: "POST", resource: resource, form: fields, receivedAt: .now))
                return state.failures.isEmpty ? nil : state.failures.removeFirst()
            }
            if let failure { return Self.json(failure) }
            if resource == "Messages.json" {
                return try await Self.send(fields, state: state)
            }
            let parts = resource.split(separator: "/")
            if parts.count == 3, parts[0] == "Calls", parts[2] == "Recordings.json" {
                let recordingSid = "RE" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
                state.withLock { $0.recordings[recordingSid] = String(parts[1]) }
                return json(
                    status: 201,
                    [
                        "sid": recordingSid, "call_sid": String(parts[1]), "status": "in-progress",
                        "channels": fields["RecordingChannels"] == "dual" ? 2 : 1,
                    ]
                )
            }
            return Self.answer(resource: resource, status: form["Status"], accountSid: accountSid)
        }
        router.get("2010-04-01/Accounts/:account/**") { request, context -> Response in
            guard authorized(request, context) else { return Self.unauthorized }
            let resource = context.parameters.getCatchAll().joined(separator: "/")
            if resource.hasPrefix("Recordings/"), resource.hasSuffix(".mp3") {
                let recordingSid = String(resource.dropFirst("Recordings/".count).dropLast(".mp3".count))
                let known = state.withLock { state in
                    state.requests.append(Request(method: "GET", resource: resource, form: [:], receivedAt: .now))
                    return state.recordings[recordingSid] != nil
                }
                guard known else {
                    return Self.json(Failure(status: 404, code: 20404, message: "The requested resource was not found"))
                }
                return Response(
                    status: .ok,
                    headers: [.contentType: "audio/mpeg"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: recordingAudio))
                )
            }
            guard resource == "Messages.json" else {
                return Self.json(Failure(status: 404, code: 20404, message: "The requested resource was not found"))
            }
            let query = request.uri.queryParameters
            let to = query.get("To")
            let from = query.get("From")
            let messages = state.withLock { state in
                state.requests.append(Request(method: "GET", resource: "Messages.json", form: [:], receivedAt: .now))
                return state.messages
            }
            let matching = messages.filter { $0.to == to && $0.from == from }.reversed().map(Self.resource(of:))
            return json(status: 200, ["messages": Array(matching)])
        }
        return try await LoopbackServer.run(router: router, webSockets: false, logger: logger) { port in
            try await body(FakeTwilioREST(accountSid: accountSid, authToken: authToken, port: port, state: state))
        }
    }

    private static func send(_ fields: [String: String], state: FakeRecorder<State>) async throws -> Response {
        guard let to = fields["To"], let from = fields["From"], let body = fields["Body"] else {
            return json(Failure(status: 400, code: 21604, message: "A 'To', 'From' and 'Body' are required"))
        }
        guard to.hasPrefix("+"), to.count >= 8, to.dropFirst().allSatisfy(\.isNumber) else {
            return json(
                Failure(status: 400, code: 21211, message: "The 'To' number \(to) is not a valid phone number.")
            )
        }
        let message = Message(
            sid: "SM" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            to: to,
            from: from,
            body: body,
            statusCallback: fields["StatusCallback"],
            createdAt: Date()
        )
        while state.value.holdingMessageRequests { try await Task.sleep(for: .milliseconds(10)) }
        let failure = state.withLock { state -> Failure? in
            state.messages.append(message)
            return state.failuresAfterSending.isEmpty ? nil : state.failuresAfterSending.removeFirst()
        }
        while state.value.holdingMessageAnswers { try await Task.sleep(for: .milliseconds(10)) }
        if let failure { return json(failure) }
        return json(status: 201, resource(of: message))
    }

    private static func resource(of message: Message) -> [String: Any] {
        [
            "sid": message.sid, "status": "queued", "to": message.to, "from": message.from, "body": message.body,
            "num_segments": "1", "direction": "outbound-api", "error_code": NSNull(),
            "date_created": rfc2822(message.createdAt),
        ]
    }

    private static func rfc2822(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    private static func answer(resource: String, status callStatus: String?, accountSid: String) -> Response {
        let parts = resource.split(separator: "/")
        if parts.count == 2, parts[0] == "Calls", parts[1].hasSuffix(".json") {
            let callSid = String(parts[1].dropLast(".json".count))
            return json(
                status: 200,
                ["sid": callSid, "account_sid": accountSid, "status": callStatus ?? "in-progress"]
            )
        }
        return json(Failure(status: 404, code: 20404, message: "The requested resource was not found"))
    }

    private static let unauthorized = json(Failure(status: 401, code: 20003, message: "Authenticate"))

    private static func json(_ failure: Failure) -> Response {
        var fields: [String: Any] = ["message": failure.message, "status": failure.status]
        if let code = failure.code { fields["code"] = code }
        return json(status: failure.status, fields)
    }

    private static func json(status: Int, _ fields: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
