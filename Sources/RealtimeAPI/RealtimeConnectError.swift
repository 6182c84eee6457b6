/// Why a Realtime socket could not be opened, and whether trying again can help
/// (`../shared/protocols/realtime-resilience.md`).
package enum RealtimeConnectError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection: refused, unresolvable, or TLS failed.
    case unreachable(String)
    /// The connection or the upgrade did not complete within the limit.
    case timedOut(Duration)
    /// The service answered the upgrade with this HTTP status instead of `101`.
    case refused(status: Int)

    /// Whether a later attempt can succeed: not for a key the service does not accept (`401`, `403`) or a request it
    /// will never upgrade (other `4xx` but `408` and `429`); yes for overload (`429`, `5xx`), refused connections
    /// and timeouts.
    package var isRetryable: Bool {
        switch self {
        case .unreachable, .timedOut: true
        case .refused(let status): status == 408 || status == 429 || status >= 500 || status < 400
        }
    }

    package var description: String {
        switch self {
        case .unreachable(let reason): "the Realtime service is unreachable (\(reason))"
        case .timedOut(let limit): "the Realtime service did not answer the upgrade within \(limit)"
        case .refused(let status): "the Realtime service refused the upgrade with HTTP \(status)"
        }
    }
}
