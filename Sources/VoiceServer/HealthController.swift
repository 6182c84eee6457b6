import Hummingbird
import ServerConfiguration

/// `GET /health`: whether the server is up, which version, for how long, and how many calls it is carrying.
package struct HealthController: Sendable {
    package struct Report: ResponseCodable, Equatable {
        package var status: String
        package var version: String
        package var uptimeSeconds: Double
        package var activeCalls: Int
        /// Open Realtime sessions; equal to `activeCalls` unless a call is connecting or ending.
        package var activeRealtimeSessions: Int
    }

    let callRegistry: CallRegistry
    let startedAt: ContinuousClock.Instant

    package func addRoutes(to router: Router<VoiceRequestContext>) {
        router.get("health", use: health)
    }

    @Sendable func health(request: Request, context: VoiceRequestContext) async -> Report {
        let uptime = ContinuousClock.now - startedAt
        let seconds = Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18
        return Report(
            status: "ok",
            version: ServerVersion.current,
            uptimeSeconds: (seconds * 1000).rounded() / 1000,
            activeCalls: await callRegistry.activeStreamCount,
            activeRealtimeSessions: await callRegistry.activeRealtimeSessionCount
        )
    }
}
