import AsyncDeadline
import Synchronization
import Testing

/// The race between an operation and its deadline: whichever is first decides, and an operation that ignores
/// cancellation cannot hold the caller up.
@Suite(.timeLimit(.minutes(1)))
struct DeadlineTests {
    struct Refused: Error, Equatable {}

    @Test func aQuickOperationGivesItsResultOrItsError() async throws {
        let value = await Deadline.run(.seconds(10)) { 42 }
        #expect(try value?.get() == 42)
        let error = await Deadline.run(.seconds(10)) { () async throws -> Int in throw Refused() }
        #expect(throws: Refused.self) { try error?.get() }
    }

    @Test func theDeadlineComesFirstEvenIfTheOperationIgnoresCancellation() async throws {
        let started = ContinuousClock.now
        let result = await Deadline.run(.milliseconds(50)) { () async -> Int in
            // Ignores cancellation: a plain busy wait of two seconds.
            let end = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < end { await Task.yield() }
            return 1
        }
        #expect(result == nil)
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func anOverrunIsCancelledOrLeftToFinishAsAsked() async throws {
        let cancelled = Mutex<Bool?>(nil)
        _ = await Deadline.run(.milliseconds(20)) {
            try? await Task.sleep(for: .seconds(5))
            cancelled.withLock { $0 = Task.isCancelled }
        }
        #expect(try await eventuallyTrue { cancelled.withLock { $0 } == true })

        let finished = Mutex(false)
        let left = await Deadline.run(.milliseconds(20), overrun: .letRun) {
            try? await Task.sleep(for: .milliseconds(200))
            finished.withLock { $0 = !Task.isCancelled }
        }
        #expect(left == nil)
        #expect(try await eventuallyTrue { finished.withLock { $0 } })
    }

    @Test func cancellingTheCallerCancelsTheOperation() async throws {
        let cancelled = Mutex(false)
        let waiting = Task {
            await Deadline.run(.seconds(30)) {
                try? await Task.sleep(for: .seconds(30))
                cancelled.withLock { $0 = Task.isCancelled }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        let result = await waiting.value
        #expect(throws: CancellationError.self) { try result?.get() }
        #expect(try await eventuallyTrue { cancelled.withLock { $0 } })
    }

    /// Polls `condition` for up to 5 s.
    func eventuallyTrue(_ condition: () -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < end {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
