/// How hard a call tries to reach the Realtime service: exponential backoff with jitter inside a budget, and a
/// limit on each attempt.
package struct RealtimeRetryPolicy: Sendable {
    /// No new attempt starts later than this after the first one did.
    package var budget: Duration
    /// The TCP connection, TLS and the WebSocket upgrade together may take this long.
    package var attemptTimeout: Duration
    /// The wait before the second attempt; each later wait doubles, up to ``maximumDelay``.
    package var initialDelay: Duration
    package var maximumDelay: Duration

    /// About 6 s of retries, 10 s per upgrade (issue 14).
    package static let standard = RealtimeRetryPolicy(
        budget: .seconds(6),
        attemptTimeout: .seconds(10),
        initialDelay: .milliseconds(200),
        maximumDelay: .seconds(2)
    )

    package init(budget: Duration, attemptTimeout: Duration, initialDelay: Duration, maximumDelay: Duration) {
        self.budget = budget
        self.attemptTimeout = attemptTimeout
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The wait after failed attempt number `attempt` (from 1): the doubling delay, less a random part of up to half
    /// of it, so that calls cut off together do not retry together.
    package func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(attempt, 1) where delay < maximumDelay { delay *= 2 }
        delay = min(delay, maximumDelay)
        return delay - delay * (random / 2)
    }
}
