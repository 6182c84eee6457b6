import Foundation
import Synchronization

/// Slows down guessing the admin token: after ``limit`` wrong tokens in a minute, from anywhere, sign-in pauses
/// until the oldest of them is a minute old.
final class SignInLimiter: Sendable {
    static let limit = 10
    static let window: TimeInterval = 60
    private let failures = Mutex<[Date]>([])

    func mayTry(now: Date) -> Bool {
        failures.withLock { failures in
            failures.removeAll { now.timeIntervalSince($0) >= Self.window }
            return failures.count < Self.limit
        }
    }

    func failed(now: Date) {
        failures.withLock { $0.append(now) }
    }
}
