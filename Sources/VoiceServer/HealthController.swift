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

    /// `GET /health/ready`: whether to send this instance calls. `503` from the first shutdown signal on.
    package struct Readiness: ResponseCodable, Equatable {
        /// `ready` or `draining`.
        package var status: String
        package var activeCalls: Int
    }

    let callRegistry: CallRegistry
    let startedAt: ContinuousClock.Instant
    let drain: CallDrain

    package func addRoutes(to router: Router<VoiceRequestContext>) {
        router.get("health", use: health)
        router.get("health/ready", use: ready)
    }

    /// The readiness check platforms and load balancers route by; `/health` stays the liveness check (the process
    /// is up), and answers `ok` while draining.
    @Sendable func ready(request: Request, context: VoiceRequestContext) async throws -> Response {
        let readiness = Readiness(
            status: drain.isDraining ? "draining" : "ready",
            activeCalls: await callRegistry.activeStreamCount
        )
        var response = try readiness.response(from: request, context: context)
        if drain.isDraining { response.status = .serviceUnavailable }
        return response
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
