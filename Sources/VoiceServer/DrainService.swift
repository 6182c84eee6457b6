import Foundation
import Logging
import ServiceLifecycle

/// The first thing a shutdown does (issue 14, part 6). On `SIGTERM` or `SIGINT` the server stops taking calls
/// (`/health/ready` answers `503`, the webhook sends callers elsewhere) but lets the calls it has go on to their
/// natural end, for up to `DRAIN_SECONDS`; then each remaining call is asked to say goodbye, and hung up if it has
/// not within ``goodbyeTime``. Only when this service returns does the rest of the server shut down: it runs in an
/// outer service group that shuts it down first (``VoiceApplication/serviceGroup(logger:)``), because Hummingbird
/// closes every WebSocket as soon as its own shutdown begins.
struct DrainService: Service {
    /// How long the goodbye may take before the call is hung up.
    static let goodbyeTime: Duration = .seconds(20)

    let drain: CallDrain
    let callRegistry: CallRegistry
    let drainTime: Duration
    let logger: Logger

    func run() async throws {
        // Returns when the shutdown begins; throws if the service group is cancelled instead.
        do {
            try await gracefulShutdown()
        } catch {
            return
        }
        let live = drain.begin()
        logger.notice(
            "Shutting down: no new calls; waiting for the live ones to end",
            metadata: ["live_calls": "\(live)", "drain_seconds": "\(drainTime.components.seconds)"]
        )
        if await callsEnded(within: drainTime) {
            logger.notice("Every call has ended; stopping")
            return
        }
        logger.warning(
            "Drain time is up: the remaining calls are asked to say goodbye",
            metadata: ["live_calls": "\(drain.liveCallCount)"]
        )
        await drain.closeLiveCalls(hangUpAfter: Self.goodbyeTime)
        if await callsEnded(within: Self.goodbyeTime + .seconds(5)) {
            logger.notice("Every call has ended; stopping")
        } else {
            logger.error(
                "Calls still open after the goodbye; stopping anyway",
                metadata: ["live_calls": "\(drain.liveCallCount)"]
            )
        }
    }

    /// Whether every call, and every call answered but not yet streaming, ended within `limit`.
    private func callsEnded(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if drain.liveCallCount == 0, await callRegistry.pendingCallCount(at: Date()) == 0 { return true }
            try? await Task.sleep(for: .milliseconds(100))
            // Cancelled: the service group's own time limit is up.
            if Task.isCancelled { return false }
        }
        return false
    }
}
