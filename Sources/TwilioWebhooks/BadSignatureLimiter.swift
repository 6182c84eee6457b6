import HTTPTypes
import Logging
import NIOCore
import Synchronization

/// Turns away, for a while, an address that keeps sending requests with bad Twilio signatures: after
/// ``Policy/failures`` within ``Policy/window`` it is answered `429` until ``Policy/blockFor`` has passed. Its own
/// checks cost a dictionary lookup; a signature check costs an HMAC and a log line.
///
/// The address is the connection's peer. When the peer is a private or loopback address (a platform's load
/// balancer, a local tunnel) the client is the last entry of `X-Forwarded-For`, which that proxy appended; a client
/// on the internet cannot choose the peer address, so it cannot get another address blocked.
package final class BadSignatureLimiter: Sendable {
    package struct Policy: Sendable, Equatable {
        package var failures: Int = 10
        package var window: Duration = .seconds(60)
        package var blockFor: Duration = .seconds(300)

        package init(failures: Int = 10, window: Duration = .seconds(60), blockFor: Duration = .seconds(300)) {
            self.failures = failures
            self.window = window
            self.blockFor = blockFor
        }
    }

    private struct Entry {
        var failures: [ContinuousClock.Instant] = []
        var blockedUntil: ContinuousClock.Instant?
    }

    package let policy: Policy
    /// Addresses tracked at most; beyond it, entries with nothing recent are dropped.
    private let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    package init(policy: Policy = Policy(), capacity: Int = 10_000) {
        self.policy = policy
        self.capacity = capacity
    }

    /// The client address a request is counted against.
    package static func clientAddress(peer: SocketAddress?, headers: HTTPFields) -> String {
        let peerAddress = peer?.ipAddress ?? "unknown"
        guard peer?.isLoopback == true || peer?.isPrivate == true,
            let forwarded = headers[values: .init("X-Forwarded-For")!].last?.split(separator: ",").last
        else { return peerAddress }
        let client = String(forwarded.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        return client.isEmpty ? peerAddress : client
    }

    /// How long `address` is still turned away, or `nil` if it is not.
    package func retryAfter(_ address: String, now: ContinuousClock.Instant = .now) -> Duration? {
        entries.withLock { entries in
            guard let until = entries[address]?.blockedUntil, until > now else { return nil }
            return until - now
        }
    }

    /// Counts a bad signature from `address`, and logs it when this one starts a block.
    package func recordFailure(_ address: String, logger: Logger) {
        guard recordFailure(address) else { return }
        logger.warning(
            "Turning an address away for a while: too many bad signatures",
            metadata: ["client": "\(address)"]
        )
    }

    /// Counts a bad signature from `address`; `true` when this one starts a block.
    @discardableResult
    package func recordFailure(_ address: String, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { _, entry in
                    entry.blockedUntil.map { $0 > now } ?? false
                        || entry.failures.contains { now - $0 < policy.window }
                }
            }
            var entry = entries[address] ?? Entry()
            entry.failures = entry.failures.filter { now - $0 < policy.window }
            entry.failures.append(now)
            var blocked = false
            if entry.failures.count >= policy.failures {
                entry.blockedUntil = now + policy.blockFor
                entry.failures = []
                blocked = true
            }
            entries[address] = entry
            return blocked
        }
    }
}

extension SocketAddress {
    /// Whether the peer is on a private network (RFC 1918, RFC 4193, link-local, carrier-grade NAT): where a
    /// platform's load balancer connects from.
    package var isPrivate: Bool {
        guard var address = ipAddress?.lowercased() else { return false }
        if address.hasPrefix("::ffff:") { address.removeFirst("::ffff:".count) }
        if address.contains(":") {
            return address.hasPrefix("fc") || address.hasPrefix("fd") || address.hasPrefix("fe80:")
        }
        let octets = address.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return false }
        switch (octets[0], octets[1]) {
        case (10, _), (192, 168), (169, 254): return true
        case (172, 16...31): return true
        case (100, 64...127): return true
        default: return false
        }
    }
}
