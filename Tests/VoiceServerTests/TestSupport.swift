import Booking
import BookingServer
import CallBridge
import CallRecords
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import RealtimeAPI
import Synchronization
import TwilioMedia
import VoiceTesting

@testable import VoiceServer

enum TestValues {
    static let authToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
    static let accountSid = "AC0123456789abcdef0123456789abcdef"
    static let publicBaseURL = "https://voice.example-movers.com"
    static let callerNumber = "+14155552671"
    static let signatureHeader = HTTPField.Name("X-Twilio-Signature")!

    /// A configured production-like environment: signatures are checked against `publicBaseURL`.
    static let environment: [String: String] = [
        "TWILIO_AUTH_TOKEN": authToken,
        "TWILIO_ACCOUNT_SID": accountSid,
        "PUBLIC_BASE_URL": publicBaseURL,
    ]

    static let validator = TwilioSignatureValidator(authToken: authToken)

    static func incomingCallForm(
        callSid: String = "CA0123456789abcdef0123456789abcdef",
        from: String = callerNumber
    )
        -> [(name: String, value: String)]
    {
        [
            ("AccountSid", accountSid), ("ApiVersion", "2010-04-01"), ("CallSid", callSid), ("CallStatus", "ringing"),
            ("Direction", "inbound"), ("From", from), ("To", "+15005550006"), ("CallerCity", "SAN FRANCISCO"),
        ]
    }

    static func formBody(_ fields: [(name: String, value: String)]) -> String {
        FormParameters(fields).formEncoded
    }

    /// Headers of a form POST signed for `url` with `token`.
    static func signedFormHeaders(
        url: String,
        fields: [(name: String, value: String)],
        token: String = authToken
    )
        -> HTTPFields
    {
        let signature = TwilioSignatureValidator(authToken: token).signature(
            url: url,
            parameters: FormParameters(fields)
        )
        return [
            .contentType: "application/x-www-form-urlencoded",
            signatureHeader: signature,
        ]
    }
}

/// Collects every log entry, so tests can check what was (and was not) logged.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]

        /// The message and every metadata key and value, as one searchable line.
        var line: String {
            ([message] + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
        }
    }

    private let storage = Mutex<[Entry]>([])

    var entries: [Entry] { storage.withLock { $0 } }

    func append(_ entry: Entry) {
        storage.withLock { $0.append(entry) }
    }

    var logger: Logger {
        var logger = Logger(label: "voice-server-tests") { _ in RecordingHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    private struct RecordingHandler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            if let extra = event.metadata { merged.merge(extra) { $1 } }
            recorder.append(
                Entry(
                    level: event.level,
                    message: "\(event.message)",
                    metadata: merged.mapValues { "\($0)" }
                )
            )
        }
    }
}

/// Starts the real application for one test and always tears it down. Unless `environment` names a database, it
/// keeps its records (and its embedded booking system) on a fresh SQLite file.
func withVoiceServer<Value: Sendable>(
    _ mode: TestingSetup = .router,
    environment: [String: String] = TestValues.environment,
    logs: LogRecorder = LogRecorder(),
    tools: (any ToolProvider)? = InMemoryToolProvider(),
    metrics: ServerMetrics = ServerMetrics(),
    journalStore: @escaping @Sendable (any CallRecordStore) -> any CallRecordStore = { $0 },
    realtimeRetryPolicy: RealtimeRetryPolicy = .standard,
    bookingStore: @escaping @Sendable (any BookingStore) -> any BookingStore = { $0 },
    _ test: @escaping @Sendable (any TestClientProtocol, VoiceApplication) async throws -> Value
) async throws -> Value {
    var environment = environment
    environment["HOST"] = "127.0.0.1"
    environment["PORT"] = "0"
    if environment["ADMIN_PORT"] == nil { environment["ADMIN_PORT"] = "0" }
    let temporaryDatabase = FileManager.default.temporaryDirectory.appendingPathComponent("voice-\(UUID()).sqlite")
    if environment["DATABASE_URL"] == nil { environment["DATABASE_URL"] = temporaryDatabase.path }
    defer {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: temporaryDatabase.path + suffix)
        }
    }
    let configuration = try await VoiceServerConfiguration.load(environment: environment, environmentFile: nil)
    var overrides = VoiceApplication.Overrides()
    overrides.tools = tools
    overrides.metrics = metrics
    overrides.journalStore = journalStore
    overrides.realtimeRetryPolicy = realtimeRetryPolicy
    overrides.bookingStore = bookingStore
    let server = try await VoiceApplication.build(
        configuration: configuration,
        overrides: overrides,
        logger: logs.logger
    )
    return try await server.application.test(mode) { client in
        try await test(client, server)
    }
}

extension TestClientProtocol {
    /// POSTs `fields` as a form body with exactly `headers`.
    func postForm(
        _ uri: String,
        fields: [(name: String, value: String)],
        headers: HTTPFields
    ) async throws
        -> TestResponse
    {
        try await execute(
            uri: uri,
            method: .post,
            headers: headers,
            body: ByteBuffer(string: TestValues.formBody(fields))
        ) { $0 }
    }

    /// POSTs `fields` as a form body signed, as Twilio would, for the public URL `signedURL`.
    func postForm(
        _ uri: String,
        fields: [(name: String, value: String)],
        signedFor signedURL: String,
        token: String = TestValues.authToken
    ) async throws -> TestResponse {
        try await postForm(
            uri,
            fields: fields,
            headers: TestValues.signedFormHeaders(url: signedURL, fields: fields, token: token)
        )
    }
}

/// Starts a fake Realtime service and the real server pointed at it, over loopback, for one test.
func withCallServer<Value: Sendable>(
    script: FakeRealtimeScript = FakeRealtimeScript(responses: [.speech("Hello, NYC Quick Movers.", milliseconds: 600)]
    ),
    realtimeOptions: FakeRealtimeServer.Options = FakeRealtimeServer.Options(),
    environment: [String: String] = TestValues.environment,
    logs: LogRecorder = LogRecorder(),
    tools: (any ToolProvider)? = InMemoryToolProvider(),
    metrics: ServerMetrics = ServerMetrics(),
    journalStore: @escaping @Sendable (any CallRecordStore) -> any CallRecordStore = { $0 },
    realtimeRetryPolicy: RealtimeRetryPolicy = .standard,
    bookingStore: @escaping @Sendable (any BookingStore) -> any BookingStore = { $0 },
    _ test: @escaping @Sendable (any TestClientProtocol, VoiceApplication, FakeRealtimeServer) async throws -> Value
) async throws -> Value {
    var options = realtimeOptions
    options.script = script
    return try await FakeRealtimeServer.run(options: options) { realtime in
        var environment = environment
        environment["OPENAI_REALTIME_URL"] = realtime.url.absoluteString
        environment["OPENAI_API_KEY"] = options.apiKey
        return try await withVoiceServer(
            .live,
            environment: environment,
            logs: logs,
            tools: tools,
            metrics: metrics,
            journalStore: journalStore,
            realtimeRetryPolicy: realtimeRetryPolicy,
            bookingStore: bookingStore
        ) { client, server in
            try await test(client, server, realtime)
        }
    }
}
