import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import RealtimeAPI
import UpgradeRefusals

/// A stand-in for the OpenAI Realtime service on loopback: a real WebSocket server that speaks the GA protocol
/// (`../shared/protocols/openai-realtime.md`). It checks the bearer key and every client event's shape, detects
/// speech from the energy of the caller's µ-law audio, plays a ``FakeRealtimeScript`` with audio deltas sent
/// faster than real time, interrupts itself when the caller talks, and answers truncates the way the service does.
package final class FakeRealtimeServer: Sendable {
    package struct Options: Sendable {
        package var apiKey = "sk-fake-realtime-key"
        /// How the service answers `session.update`.
        package var sessionUpdateAnswer = SessionUpdateAnswer.accept
        /// Keys accepted besides ``apiKey`` (a key being rotated).
        package var otherAPIKeys: Set<String> = []
        package var script = FakeRealtimeScript(responses: [])
        /// Audio per `response.output_audio.delta`.
        package var deltaMilliseconds = 100
        /// Pause between deltas: far shorter than the audio, as the real service generates faster than real time.
        package var deltaInterval: Duration = .milliseconds(10)
        /// Mean µ-law amplitude above which a frame is speech.
        package var speechAmplitude = 1000
        /// Consecutive speech before `speech_started`.
        package var speechStartMilliseconds = 40
        /// Answer every truncate with the service's "already shorter" error, to check a failed truncate is harmless.
        package var rejectsTruncates = false
        /// Values for `{{name}}` in scripted arguments that no tool output has: what the caller knows from outside
        /// the call, such as a code texted to their phone.
        package var callerKnowledge: @Sendable (String) -> String? = { _ in nil }
        /// The first upgrades are refused with these HTTP statuses, in order (`503` for an overloaded service).
        package var refusedUpgrades: [HTTPResponse.Status] = []
        /// These upgrade attempts (counted from 1, refused ones included) get no answer for ``holdDuration``, then a
        /// `503`.
        package var heldUpgradeAttempts: Set<Int> = []
        package var holdDuration: Duration = .seconds(3)
        /// Sent as `expires_at` in `session.created`, this long after the session opened.
        package var expiresAfter: Duration?
        /// One script for the whole server, carried on by each new session, as one conversation survives a
        /// reconnect; otherwise every session starts the script from the top.
        package var continuesScriptAcrossSessions = false

        package init() {}
    }

    package enum SessionUpdateAnswer: Sendable {
        /// `session.updated`, as the service does.
        case accept
        /// An `error` event with this code, as the service does for a configuration it refuses.
        case reject(code: String)
        /// Nothing at all: a stalled service.
        case ignore
    }

    package let options: Options
    package let port: Int
    private let observationStore: FakeRecorder<FakeRealtimeObservations>
    private let live: FakeRecorder<[Int: FakeRealtimeConnection]>

    private init(
        options: Options,
        port: Int,
        observations: FakeRecorder<FakeRealtimeObservations>,
        live: FakeRecorder<[Int: FakeRealtimeConnection]>
    ) {
        self.options = options
        self.port = port
        self.observationStore = observations
        self.live = live
    }

    /// Drops every open session, as a failing service or network does: the socket closes with `1011` at once.
    package func dropConnections() async {
        for connection in live.value.values { await connection.drop() }
    }

    /// Ends every open session the way the service does at its 60-minute limit: an `error` with the code
    /// `session_expired`, then a close with `1001`.
    package func expireSessions() async {
        for connection in live.value.values { await connection.expire() }
    }

    /// The `OPENAI_REALTIME_URL` that reaches this server.
    package var url: URL { URL(string: "ws://127.0.0.1:\(port)/v1/realtime")! }

    package var observations: FakeRealtimeObservations {
        observationStore.value
    }

    /// Polls until `condition` holds (every 10 ms), or fails after `timeout`.
    package func waitUntil(
        timeout: Duration = .seconds(10),
        _ condition: (FakeRealtimeObservations) -> Bool
    ) async throws -> FakeRealtimeObservations {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = observations
            if condition(current) { return current }
            guard ContinuousClock.now < deadline else { throw FakeTimeout(what: "the fake Realtime service") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Starts the server on a free loopback port, runs `body`, then stops the server.
    package static func run<Value: Sendable>(
        options: Options = Options(),
        logger: Logger = Logger(label: "fake-realtime"),
        _ body: (FakeRealtimeServer) async throws -> Value
    ) async throws -> Value {
        let observations = FakeRecorder(FakeRealtimeObservations())
        let live = FakeRecorder<[Int: FakeRealtimeConnection]>([:])
        let script = FakeRecorder(options.script)
        let refusals = UpgradeRefusals()
        let router = Router(context: FakeRealtimeRequestContext.self)
        router.ws("v1/realtime") { request, context in
            let attempt = observations.withLock { observations -> Int in
                observations.upgradeAttempts += 1
                return observations.upgradeAttempts
            }
            if attempt <= options.refusedUpgrades.count {
                let status = options.refusedUpgrades[attempt - 1]
                refusals.refuse(context.connectionID, status: status)
                return .dontUpgrade
            }
            if options.heldUpgradeAttempts.contains(attempt) {
                try? await Task.sleep(for: options.holdDuration)
                refusals.refuse(context.connectionID, status: .serviceUnavailable)
                return .dontUpgrade
            }
            let keys = options.otherAPIKeys.union([options.apiKey])
            guard let key = keys.first(where: { request.headers[.authorization] == "Bearer \($0)" }) else {
                observations.withLock { $0.refusedConnections += 1 }
                refusals.refuse(context.connectionID, status: .unauthorized)
                return .dontUpgrade
            }
            observations.withLock { $0.apiKeys.append(key) }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let model = context.request.uri.queryParameters["model"].map(String.init) ?? ""
            let sentBetaHeader = context.request.headers[HTTPField.Name("OpenAI-Beta")!] != nil
            let number = observations.withLock {
                $0.connections += 1
                $0.activeConnections += 1
                $0.models.append(model)
                $0.sessions.append(FakeRealtimeObservations.Session())
                return $0.connections
            }
            let connection = FakeRealtimeConnection(
                number: number,
                outbound: outbound,
                options: options,
                script: options.continuesScriptAcrossSessions ? script : FakeRecorder(options.script),
                observations: observations,
                logger: context.logger
            )
            live.withLock { $0[number] = connection }
            await connection.open(sentBetaHeader: sentBetaHeader)
            do {
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    guard case .text(let text) = message else { continue }
                    await connection.receive(text)
                    if await connection.isClosed { break }
                }
            } catch {
                context.logger.debug("Fake Realtime connection failed", metadata: ["reason": "\(error)"])
            }
            live.withLock { $0[number] = nil }
            await connection.close()
            observations.withLock { $0.activeConnections -= 1 }
        }
        return try await LoopbackServer.run(
            router: router,
            logger: logger,
            channelHandlers: { [refusals.rewriter()] }
        ) { port in
            try await body(FakeRealtimeServer(options: options, port: port, observations: observations, live: live))
        }
    }
}

/// The fake's request context: Hummingbird's, with the connection a refused upgrade's status is recorded against.
package struct FakeRealtimeRequestContext: RequestContext, WebSocketRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let webSocket: WebSocketHandlerReference<FakeRealtimeRequestContext>
    let connectionID: ObjectIdentifier

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.connectionID = ObjectIdentifier(source.channel)
    }
}

/// A test waited too long for something a fake should have seen.
package struct FakeTimeout: Error, CustomStringConvertible {
    package var what: String
    package var description: String { "timed out waiting for \(what)" }
}
