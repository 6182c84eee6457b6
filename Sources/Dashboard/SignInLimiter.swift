import Foundation
import Synchronization

/// Slows down guessing the admin token: after ``limit`` wrong tokens in a minute from one address, sign-in from
/// that address pauses until the oldest of them is a minute old. Per address, so a stranger who reaches the
/// listener cannot lock the staff out.
final class SignInLimiter: Sendable {
    static let limit = 10
    static let window: TimeInterval = 60
    /// Addresses kept at most; beyond, the one with the oldest failure is forgotten.
    static let addresses = 10_000
    private let failures = Mutex<[String: [Date]]>([:])

    func mayTry(_ client: String, now: Date) -> Bool {
        failures.withLock { failures in
            let recent = (failures[client] ?? []).filter { now.timeIntervalSince($0) < Self.window }
            failures[client] = recent.isEmpty ? nil : recent
            return recent.count < Self.limit
        }
    }

    func failed(_ client: String, now: Date) {
        failures.withLock { failures in
            failures[client, default: []].append(now)
            if failures.count > Self.addresses,
                let oldest = failures.min(by: { ($0.value.first ?? now) < ($1.value.first ?? now) })?.key
            {
                failures[oldest] = nil
            }
        }
    }
}
