import Foundation
import Logging
import MCP
import VoiceTesting

/// An MCP server made with the swift-sdk inside the test, reached through an in-memory connection: it records
/// every `tools/call`, and can be made unreachable or made to lose requests on the way.
final class TestToolServer: Sendable {
    struct Unreachable: Error {}
    struct LostRequest: Error {}

    static let initialTools: [Tool] = [
        Tool(
            name: "lookup",
            description: "Reads something.",
            inputSchema: ["type": "object", "properties": ["key": ["type": "string"]], "required": ["key"]],
            annotations: .init(readOnlyHint: true)
        ),
        Tool(
            name: "book",
            description: "Changes something.",
            inputSchema: ["type": "object", "properties": ["what": ["type": "string"]]],
            annotations: .init(readOnlyHint: false)
        ),
        Tool(name: "refuse", description: "Always refuses.", inputSchema: ["type": "object"]),
    ]

    let calls = FakeRecorder<[CallTool.Parameters]>([])
    let tools = FakeRecorder<[Tool]>(initialTools)
    let servers = FakeRecorder<[Server]>([])
    let reachable = FakeRecorder(true)
    /// How many of the next `tools/call` requests are lost before reaching the server.
    let lostToolCalls = FakeRecorder(0)

    @Sendable func makeTransport() async throws -> any Transport {
        guard reachable.value else { throw Unreachable() }
        let (clientSide, serverSide) = await InMemoryTransport.createConnectedPair()
        let server = Server(name: "test", version: "1", capabilities: .init(tools: .init(listChanged: true)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: self.tools.value) }
        await server.withMethodHandler(CallTool.self) { parameters in
            self.calls.withLock { $0.append(parameters) }
            switch parameters.name {
            case "lookup":
                return CallTool.Result(
                    content: [.text(text: "found", annotations: nil, _meta: nil)],
                    structuredContent: ["key": parameters.arguments?["key"] ?? .null, "value": 42] as Value?
                )
            case "refuse":
                return CallTool.Result(
                    content: [.text(text: "That date is fully booked.", annotations: nil, _meta: nil)],
                    isError: true
                )
            default:
                return CallTool.Result(content: [.text(text: "done: \(parameters.name)", annotations: nil, _meta: nil)])
            }
        }
        try await server.start(transport: serverSide)
        servers.withLock { $0.append(server) }
        return LossyTransport(inner: clientSide, lostToolCalls: lostToolCalls)
    }
}

/// Passes messages through, except that it fails the sending of as many `tools/call` requests as it is told to.
actor LossyTransport: Transport {
    let inner: InMemoryTransport
    let lostToolCalls: FakeRecorder<Int>
    nonisolated var logger: Logger { inner.logger }

    init(inner: InMemoryTransport, lostToolCalls: FakeRecorder<Int>) {
        self.inner = inner
        self.lostToolCalls = lostToolCalls
    }

    func connect() async throws { try await inner.connect() }
    func disconnect() async { await inner.disconnect() }
    func receive() -> AsyncThrowingStream<Data, any Error> {
        // `receive()` is nonisolated-safe on the inner actor only through an await; bridge it.
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        let inner = self.inner
        Task {
            do {
                for try await message in await inner.receive() { continuation.yield(message) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    func send(_ data: Data) async throws {
        let text = String(decoding: data, as: UTF8.self)
        if text.contains(#""tools/call""#) || text.contains(#""tools\/call""#) {
            let lose = lostToolCalls.withLock { count -> Bool in
                guard count > 0 else { return false }
                count -= 1
                return true
            }
            if lose { throw TestToolServer.LostRequest() }
        }
        try await inner.send(data)
    }
}
