import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import TwilioMedia

/// A stand-in for Twilio's REST API (2010-04-01) on loopback: checks HTTP Basic auth, records every request, and
/// answers as Twilio does — or with a scripted failure, to test how the server copes.
package final class FakeTwilioREST: Sendable {
    package struct Request: Sendable, Equatable {
        package var method: String
        /// After `/2010-04-01/Accounts/{AccountSid}/`, e.g. `Calls/CA….json`.
        package var resource: String
        package var form: [String: String]
        package var receivedAt: ContinuousClock.Instant
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

    package let accountSid: String
    package let authToken: String
    package let baseURL: URL
    private let recorder: FakeRecorder<(requests: [Request], failures: [Failure])>

    private init(
        accountSid: String,
        authToken: String,
        port: Int,
        recorder: FakeRecorder<(requests: [Request], failures: [Failure])>
    ) {
        self.accountSid = accountSid
        self.authToken = authToken
        self.baseURL = URL(string: "http://127.0.0.1:\(port)")!
        self.recorder = recorder
    }

    /// Every request with valid credentials, in arrival order.
    package var requests: [Request] { recorder.value.requests }

    /// The next `count` requests get `failure` instead of success.
    package func failNext(_ failure: Failure, count: Int = 1) {
        recorder.withLock { $0.failures += Array(repeating: failure, count: count) }
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
        let recorder = FakeRecorder<(requests: [Request], failures: [Failure])>(([], []))
        let expectedAuthorization = "Basic " + Data("\(accountSid):\(authToken)".utf8).base64EncodedString()
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.post("2010-04-01/Accounts/:account/**") { request, context -> Response in
            guard request.headers[.authorization] == expectedAuthorization,
                context.parameters.get("account") == accountSid
            else {
                return Self.json(status: 401, ["code": 20003, "message": "Authenticate", "status": 401])
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            let form = FormParameters(formEncoded: String(buffer: body))
            let resource = context.parameters.getCatchAll().joined(separator: "/")
            let failure = recorder.withLock { state -> Failure? in
                state.requests.append(
                    Request(
                        method: "POST",
                        resource: resource,
                        form: Dictionary(form.fields.map { ($0.name, $0.value) }) { first, _ in first },
                        receivedAt: .now
                    )
                )
                return state.failures.isEmpty ? nil : state.failures.removeFirst()
            }
            if let failure {
                var fields: [String: Any] = ["message": failure.message, "status": failure.status]
                if let code = failure.code { fields["code"] = code }
                return Self.json(status: failure.status, fields)
            }
            return Self.answer(resource: resource, status: form["Status"], accountSid: accountSid)
        }
        return try await LoopbackServer.run(router: router, logger: logger) { port in
            try await body(FakeTwilioREST(accountSid: accountSid, authToken: authToken, port: port, recorder: recorder))
        }
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
        return json(
            status: 404,
            ["code": 20404, "message": "The requested resource was not found", "status": 404]
        )
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
