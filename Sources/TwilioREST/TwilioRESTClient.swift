import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TwilioMedia

/// Twilio's REST API (2010-04-01) over AsyncHTTPClient: form-encoded requests with HTTP Basic auth, JSON answers,
/// Twilio's error bodies turned into ``TwilioRESTError``.
package struct TwilioRESTClient: Sendable {
    package static let defaultBaseURL = URL(string: "https://api.twilio.com")!

    private let baseURL: String
    private let accountSid: String
    /// `Basic …` for the secret held now: a rotated auth token is used from the next request on.
    private let authorization: @Sendable () -> String
    private let httpClient: HTTPClient
    private let timeout: TimeAmount

    /// - Parameters:
    ///   - baseURL: `https://api.twilio.com`, or a local fake in tests.
    ///   - accountSid: goes in every path, and is the user name unless `apiKeySid` is given.
    ///   - secret: the auth token, or the API key's secret.
    package init(
        baseURL: URL = Self.defaultBaseURL,
        accountSid: String,
        apiKeySid: String? = nil,
        secret: String,
        httpClient: HTTPClient = .shared,
        timeout: Duration = .seconds(10)
    ) {
        let authorization = Self.basic(user: apiKeySid ?? accountSid, secret: secret)
        self.init(
            baseURL: baseURL,
            accountSid: accountSid,
            httpClient: httpClient,
            timeout: timeout,
            authorization: { authorization }
        )
    }

    /// A client whose auth token is read at each request from `secret` (a store that is reloaded on `SIGHUP`).
    package init(
        baseURL: URL = Self.defaultBaseURL,
        accountSid: String,
        secret: @escaping @Sendable () -> String,
        httpClient: HTTPClient = .shared,
        timeout: Duration = .seconds(10)
    ) {
        self.init(
            baseURL: baseURL,
            accountSid: accountSid,
            httpClient: httpClient,
            timeout: timeout,
            authorization: { Self.basic(user: accountSid, secret: secret()) }
        )
    }

    private init(
        baseURL: URL,
        accountSid: String,
        httpClient: HTTPClient,
        timeout: Duration,
        authorization: @escaping @Sendable () -> String
    ) {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.accountSid = accountSid
        self.authorization = authorization
        self.httpClient = httpClient
        self.timeout = .seconds(timeout.components.seconds)
    }

    private static func basic(user: String, secret: String) -> String {
        "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()
    }

    // MARK: Calls

    /// Ends a live call (`Status=completed`). A call that is already over counts as ended.
    package func hangUp(callSid: String) async throws {
        do {
            _ = try await post("Calls/\(callSid).json", [("Status", "completed")])
        } catch let error as TwilioRESTError where error.isNotFound {
            return
        }
    }

    /// Replaces what a live call is doing with `twiml`; the media stream gets `stop` and closes.
    package func redirect(callSid: String, twiml: String) async throws {
        _ = try await post("Calls/\(callSid).json", [("Twiml", twiml)])
    }

    // MARK: Recordings

    /// Starts recording a live call, both sides on their own channel; Twilio reports on `statusCallback` when the
    /// recording is ready. Returns the recording's SID (`RE…`).
    package func startRecording(callSid: String, statusCallback: String?) async throws -> String {
        struct Recording: Decodable { var sid: String }
        var fields: [(name: String, value: String)] = [("RecordingChannels", "dual")]
        if let statusCallback {
            fields += [
                ("RecordingStatusCallback", statusCallback), ("RecordingStatusCallbackMethod", "POST"),
                ("RecordingStatusCallbackEvent", "completed absent"),
            ]
        }
        let data = try await post("Calls/\(callSid)/Recordings.json", fields)
        return try JSONDecoder().decode(Recording.self, from: data).sid
    }

    /// A recording's audio as MP3, streamed: the response, for its body to be passed on as it arrives.
    package func recordingAudio(recordingSid: String) async throws -> HTTPClientResponse {
        guard recordingSid.hasPrefix("RE"), recordingSid.allSatisfy({ $0.isLetter || $0.isNumber }) else {
            throw TwilioRESTError(status: 404, code: 20404, message: "not a recording SID")
        }
        var request = HTTPClientRequest(
            url: "\(baseURL)/2010-04-01/Accounts/\(accountSid)/Recordings/\(recordingSid).mp3"
        )
        request.headers.add(name: "Authorization", value: authorization())
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        guard (200..<300).contains(response.status.code) else {
            let body = try await response.body.collect(upTo: 1024 * 1024)
            throw Self.error(status: Int(response.status.code), body: Data(buffer: body))
        }
        return response
    }

    // MARK: Messages

    /// A message resource as Twilio describes it.
    package struct Message: Sendable, Equatable, Decodable {
        package var sid: String
        package var status: String
        package var to: String?
        package var body: String?
        /// RFC 2822, e.g. `Wed, 25 Nov 2026 15:04:05 +0000`.
        package var dateCreated: String?

        enum CodingKeys: String, CodingKey {
            case sid, status, to, body
            case dateCreated = "date_created"
        }
    }

    /// Sends a text (`POST …/Messages.json`). Twilio has no idempotency key for this: a request that fails after it
    /// was sent may still have sent the text, so look it up with ``messages(to:from:sentOnOrAfter:)`` before trying
    /// again.
    package func sendMessage(to: String, from: String, body: String, statusCallback: String?) async throws -> Message {
        var fields: [(name: String, value: String)] = [("To", to), ("From", from), ("Body", body)]
        if let statusCallback { fields.append(("StatusCallback", statusCallback)) }
        return try JSONDecoder().decode(Message.self, from: try await post("Messages.json", fields))
    }

    /// Messages sent from `from` to `to` on or after the given day (UTC), newest first: Twilio filters by date only.
    package func messages(to: String, from: String, sentOnOrAfter day: Date) async throws -> [Message] {
        struct Page: Decodable { var messages: [Message] }
        let dayText = day.formatted(Date.ISO8601FormatStyle().year().month().day())
        var components = URLComponents()
        components.queryItems = [
            URLQueryItem(name: "To", value: to), URLQueryItem(name: "From", value: from),
            URLQueryItem(name: "DateSent>", value: dayText), URLQueryItem(name: "PageSize", value: "50"),
        ]
        // `+` in a query means a space; an E.164 number must keep it.
        let query = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return try JSONDecoder().decode(Page.self, from: try await get("Messages.json?\(query)")).messages
    }

    // MARK: Requests

    /// POSTs `fields` to `…/Accounts/{AccountSid}/{path}` and returns the JSON answer.
    package func post(_ path: String, _ fields: [(name: String, value: String)]) async throws -> Data {
        var request = HTTPClientRequest(url: "\(baseURL)/2010-04-01/Accounts/\(accountSid)/\(path)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: authorization())
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: FormParameters(fields).formEncoded))
        let response = try await httpClient.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 1024 * 1024)
        let data = Data(buffer: body)
        guard (200..<300).contains(response.status.code) else {
            throw Self.error(status: Int(response.status.code), body: data)
        }
        return data
    }

    /// GETs `…/Accounts/{AccountSid}/{pathAndQuery}` and returns the JSON answer.
    package func get(_ pathAndQuery: String) async throws -> Data {
        var request = HTTPClientRequest(url: "\(baseURL)/2010-04-01/Accounts/\(accountSid)/\(pathAndQuery)")
        request.method = .GET
        request.headers.add(name: "Authorization", value: authorization())
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await httpClient.execute(request, timeout: timeout)
        let data = Data(buffer: try await response.body.collect(upTo: 4 * 1024 * 1024))
        guard (200..<300).contains(response.status.code) else {
            throw Self.error(status: Int(response.status.code), body: data)
        }
        return data
    }

    /// Twilio's error body: `{"code": 21211, "message": "…", "more_info": "…", "status": 400}`.
    private static func error(status: Int, body: Data) -> TwilioRESTError {
        struct ErrorBody: Decodable {
            var code: Int?
            var message: String?
            var detail: String?
        }
        let decoded = try? JSONDecoder().decode(ErrorBody.self, from: body)
        return TwilioRESTError(
            status: status,
            code: decoded?.code,
            message: decoded?.message ?? decoded?.detail ?? String(decoding: body.prefix(200), as: UTF8.self)
        )
    }
}
