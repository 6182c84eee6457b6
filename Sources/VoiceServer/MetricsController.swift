import CoreMetrics
import Hummingbird
import MCPClient
import NIOCore
import Synchronization

/// `GET /metrics`: the server's measurements in Prometheus' text format (version 0.0.4). Gauges that other parts
/// already keep (active calls, MCP reconnections) are read at each scrape rather than counted twice.
package final class MetricsController: Sendable {
    let metrics: ServerMetrics
    let callRegistry: CallRegistry
    let tools: MCPToolGateway?
    /// The MCP reconnections already added to the counter.
    private let countedReconnects = Mutex(0)

    init(metrics: ServerMetrics, callRegistry: CallRegistry, tools: MCPToolGateway?) {
        self.metrics = metrics
        self.callRegistry = callRegistry
        self.tools = tools
    }

    package func addRoutes(to router: Router<VoiceRequestContext>) {
        router.get("metrics", use: scrape)
    }

    @Sendable func scrape(request: Request, context: VoiceRequestContext) async -> Response {
        metrics.activeCalls.record(await callRegistry.activeStreamCount)
        metrics.activeRealtimeSessions.record(await callRegistry.activeRealtimeSessionCount)
        if let tools {
            let reconnects = await tools.reconnectCount
            let added = countedReconnects.withLock { counted in
                defer { counted = max(counted, reconnects) }
                return max(reconnects - counted, 0)
            }
            if added > 0 { metrics.mcpReconnects.increment(by: added) }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.scrape()))
        )
    }
}
