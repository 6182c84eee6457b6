import AsyncDeadline
import CallBridge
import Foundation
import Logging
import MCP
import RealtimeAPI

/// The calls' gateway to an MCP server's tools: it offers them to each call, and runs them.
///
/// One MCP session serves every call; where it stands is one ``Connection`` value. Tools are listed once and cached;
/// `notifications/tools/list_changed` makes the list be read again. A tool marked read-only (`readOnlyHint`) is tried a second time after a transport error;
/// any other tool is tried once, with an idempotency key in `_meta` made from the call SID and the function call id,
/// so a repeated request can never book twice. When the server cannot be reached the tool's output says so in words
/// the assistant can pass on, and the gateway reconnects in the background.
package actor MCPToolGateway: ToolProvider {
    package typealias TransportFactory = @Sendable () async throws -> any Transport

    package struct Options: Sendable {
        /// How long connecting and listing tools may take before the server counts as unreachable.
        package var connectTimeout: Duration = .seconds(3)
        /// The first and the longest wait between reconnection attempts; the wait doubles in between.
        package var reconnectDelay: (first: Duration, maximum: Duration) = (.milliseconds(250), .seconds(10))

        package init() {}
    }

    /// The tool output when the server cannot be reached.
    package static let unreachableMessage = SpokenFailure.bookingSystemUnreachable

    /// Reads what a tool call did from its result's data (the server's `_meta`, say); the default reads nothing.
    package typealias EffectReader = @Sendable (_ tool: String, _ result: CallTool.Result) -> [ToolEffect]

    private let serverName: String
    private let makeTransport: TransportFactory
    private let fallbackTools: [ToolDefinition]
    private let readEffects: EffectReader
    /// The server's tool for the end of a call (`finish_call`): called by ``callEnded(callSid:callerNumber:)``,
    /// never offered to the assistant nor run for it.
    private let callEndTool: String?
    private let options: Options
    private let logger: Logger

    /// The one MCP session every call shares, as one value.
    private enum Connection {
        /// No session. `knownDown`: the last attempt failed, so a call starting now does not wait for another.
        case idle(knownDown: Bool)
        /// An attempt is under way; whoever needs the session waits on it.
        case connecting(Task<Client, any Error>, knownDown: Bool)
        case connected(Client)
        /// ``close()`` was called: no more sessions.
        case closed
    }

    /// The server's tools, as listed, until it says they changed.
    private struct Catalog {
        var definitions: [ToolDefinition]
        /// Tools marked `readOnlyHint`: tried a second time after a transport error.
        var readOnly: Set<String>
    }

    private var connection = Connection.idle(knownDown: false)
    private var catalog: Catalog?
    /// Connects in the background: at start, and after a failure, until the server answers.
    private var reconnecting: Task<Void, Never>?
    package private(set) var reconnectCount = 0

    /// - Parameters:
    ///   - serverName: how logs name the server (its URL without credentials, or "embedded").
    ///   - makeTransport: a new, unconnected transport for each (re)connection.
    ///   - fallbackTools: offered when the server has never been reached, so a call that starts while it is down
    ///     still has tools whose output can tell the assistant what is wrong.
    ///   - effects: what a successful result says the call did, for the call's outcome.
    package init(
        serverName: String,
        fallbackTools: [ToolDefinition] = [],
        effects: @escaping EffectReader = { _, _ in [] },
        callEndTool: String? = nil,
        options: Options = Options(),
        logger: Logger,
        makeTransport: @escaping TransportFactory
    ) {
        self.serverName = serverName
        self.makeTransport = makeTransport
        self.fallbackTools = fallbackTools
        self.readEffects = effects
        self.callEndTool = callEndTool
        self.options = options
        var logger = logger
        logger[metadataKey: "mcp_server"] = "\(serverName)"
        self.logger = logger
    }

    /// Connects in the background, so the first call finds the tools listed.
    package func start() {
        guard case .idle = connection, reconnecting == nil else { return }
        reconnecting = Task { await self.reconnectUntilConnected(announce: false) }
    }

    /// Ends the session (the transport says goodbye to the server) and stops reconnecting.
    package func close() async {
        let previous = connection
        connection = .closed
        reconnecting?.cancel()
        reconnecting = nil
        switch previous {
        case .connecting(let attempt, _): attempt.cancel()
        case .connected(let client): await client.disconnect()
        case .idle, .closed: break
        }
    }

    package var isConnected: Bool {
        if case .connected = connection { true } else { false }
    }

    private var isClosed: Bool {
        if case .closed = connection { true } else { false }
    }

    /// The last attempt to reach the server failed.
    private var isKnownDown: Bool {
        switch connection {
        case .idle(let knownDown), .connecting(_, let knownDown): knownDown
        case .connected, .closed: false
        }
    }

    // MARK: ToolProvider

    /// Connects (if not connected) and says how many tools the server lists; throws if it cannot be reached. For
    /// checking a deployment: unlike ``tools()``, it never falls back to the known tools.
    package func reachableTools() async throws -> Int {
        _ = try await connectedClient()
        return catalog?.definitions.count ?? 0
    }

    package func tools() async throws -> [ToolDefinition] {
        try await listedTools().filter { $0.name != callEndTool }
    }

    private func listedTools() async throws -> [ToolDefinition] {
        if let catalog { return catalog.definitions }
        // A server known to be down does not hold up the start of a call; one being connected to for the first time
        // does (the attempt is shared, and bounded by the connect timeout).
        if !isKnownDown {
            do {
                _ = try await connectedClient()
                if let catalog { return catalog.definitions }
            } catch {
                connectionFailed(error)
            }
        }
        guard !fallbackTools.isEmpty else { throw ToolError(Self.unreachableMessage) }
        logger.warning("MCP server unreachable: offering the known tools, whose calls will say so")
        return fallbackTools
    }

    package func call(_ call: ToolCall) async throws -> ToolResult {
        guard call.name != callEndTool else { throw ToolError("There is no tool called \(call.name).") }
        return try await send(call)
    }

    /// The call is over: the server's end-of-call tool finishes what the call left undone and names the jobs it
    /// booked (`booked_job_ids`). Nothing when the server has no such tool, or cannot be reached (logged).
    package func callEnded(callSid: String, callerNumber: String?) async -> [String] {
        guard let callEndTool, (try? await listedTools())?.contains(where: { $0.name == callEndTool }) == true else {
            return []
        }
        let call = ToolCall(
            name: callEndTool,
            arguments: "{}",
            callID: "call_end",
            callSid: callSid,
            callerNumber: callerNumber,
            callerNumberVerified: false
        )
        do {
            let result = try await send(call)
            let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(result.output.utf8))
            return decoded["booked_job_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        } catch {
            logger.warning("The end of the call was not passed on", metadata: ["reason": "\(error)"])
            return []
        }
    }

    private func send(_ call: ToolCall) async throws -> ToolResult {
        let arguments = try Self.arguments(of: call)
        let readOnly = catalog?.readOnly.contains(call.name) == true
        var meta: [String: Value] = ["callSid": .string(call.callSid)]
        if let callerNumber = call.callerNumber { meta["callerNumber"] = .string(callerNumber) }
        // The booking server lets a caller reach only their own bookings, and trusts their number for changes
        // only when the carrier vouched for it.
        meta["callerNumberVerified"] = .bool(call.callerNumberVerified)
        if !readOnly { meta["idempotencyKey"] = .string("\(call.callSid):\(call.callID)") }
        let request = CallTool.request(
            .init(name: call.name, arguments: arguments, meta: Metadata(additionalFields: meta))
        )

        var transportRetries = readOnly ? 1 : 0
        var sessionRetries = 1
        while true {
            let client: Client
            do {
                client = try await connectedClient()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                connectionFailed(error)
                throw ToolError(Self.unreachableMessage)
            }
            do {
                let result = try await Self.send(request, via: client)
                return ToolResult(try Self.output(of: result), effects: readEffects(call.name, result))
            } catch let error as ToolError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch StreamableHTTPError.sessionExpired where sessionRetries > 0 {
                // The server did not run the request: safe to repeat, whatever the tool does.
                sessionRetries -= 1
                logger.info("MCP session expired; starting a new one", metadata: ["tool": "\(call.name)"])
                drop(client)
            } catch let error where Self.isRefusal(error) {
                logger.warning(
                    "MCP server refused a tool call",
                    metadata: ["tool": "\(call.name)", "reason": "\(error)"]
                )
                throw ToolError(SpokenFailure.bookingSystemRefused("\(error)"))
            } catch {
                drop(client)
                guard transportRetries > 0 else {
                    connectionFailed(error)
                    throw ToolError(Self.unreachableMessage)
                }
                transportRetries -= 1
                logger.info("Retrying a read-only tool call", metadata: ["tool": "\(call.name)", "reason": "\(error)"])
            }
        }
    }

    // MARK: Connection

    /// The session, connecting first if there is none; concurrent callers share one attempt.
    private func connectedClient() async throws -> Client {
        switch connection {
        case .connected(let client):
            return client
        case .closed:
            throw CancellationError()
        case .connecting(let attempt, _):
            return try await attempt.value
        case .idle(let knownDown):
            let attempt = Task { try await self.openClient() }
            connection = .connecting(attempt, knownDown: knownDown)
            let client: Client
            do {
                client = try await attempt.value
            } catch {
                if case .connecting = connection { connection = .idle(knownDown: true) }
                throw error
            }
            guard case .connecting = connection else {
                // Closed while connecting.
                await client.disconnect()
                throw CancellationError()
            }
            connection = .connected(client)
            return client
        }
    }

    private func openClient() async throws -> Client {
        let transport = try await makeTransport()
        let client = Client(name: "voice-server", version: "1.0")
        await client.onNotification(ToolListChangedNotification.self) { [weak self] _ in
            // Not awaited here: the client's message loop runs this handler, and must stay free to read the answer.
            Task { await self?.toolListChanged() }
        }
        do {
            guard
                let listed = await Deadline.run(
                    options.connectTimeout,
                    {
                        try await client.connect(transport: transport)
                        return try await Self.listAllTools(client)
                    }
                )
            else { throw MCPConnectTimeout(timeout: options.connectTimeout) }
            let tools = try listed.get()
            cache(tools)
            logger.info("MCP server connected", metadata: ["tools": "\(tools.map(\.name).joined(separator: ","))"])
            return client
        } catch {
            // Not awaited: disconnecting fails what is still pending, but must not hold up the next attempt.
            Task { await client.disconnect() }
            throw error
        }
    }

    private func drop(_ failed: Client) {
        guard case .connected(let current) = connection, current === failed else { return }
        connection = .idle(knownDown: false)
        // Other calls may still be waiting on it; their own requests fail or finish on their own.
        Task { await failed.disconnect() }
    }

    private func connectionFailed(_ error: any Error) {
        switch connection {
        case .idle: connection = .idle(knownDown: true)
        case .connecting(let attempt, _): connection = .connecting(attempt, knownDown: true)
        case .connected, .closed: break
        }
        guard !isClosed, reconnecting == nil else { return }
        logger.warning("MCP server unreachable; reconnecting in the background", metadata: ["reason": "\(error)"])
        reconnecting = Task { await self.reconnectUntilConnected(announce: true) }
    }

    private func reconnectUntilConnected(announce: Bool) async {
        var delay = options.reconnectDelay.first
        var attempts = 0
        while !Task.isCancelled, !isClosed {
            attempts += 1
            do {
                _ = try await connectedClient()
                if announce {
                    reconnectCount += 1
                    logger.info("MCP server reachable again", metadata: ["attempts": "\(attempts)"])
                }
                break
            } catch {
                if attempts == 1, !announce {
                    logger.warning("MCP server unreachable at start; retrying", metadata: ["reason": "\(error)"])
                }
                logger.debug("MCP reconnection failed", metadata: ["reason": "\(error)", "attempt": "\(attempts)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, options.reconnectDelay.maximum)
        }
        reconnecting = nil
    }

    private func toolListChanged() async {
        guard case .connected(let client) = connection else { return }
        do {
            let tools = try await Self.listAllTools(client)
            cache(tools)
            logger.info("MCP tool list changed", metadata: ["tools": "\(tools.map(\.name).joined(separator: ","))"])
        } catch {
            logger.warning("MCP tool list not refreshed", metadata: ["reason": "\(error)"])
            catalog = nil
        }
    }

    private func cache(_ tools: [Tool]) {
        catalog = Catalog(
            definitions: tools.map(ToolDefinition.init(mcpTool:)),
            readOnly: Set(tools.filter { $0.annotations.readOnlyHint == true }.map(\.name))
        )
    }
}
