/// Races an operation against a deadline and returns as soon as either is done, even if the operation ignores
/// cancellation (a task group would wait for it). Shared by the MCP client (connecting) and the booking server
/// (sending a text while the caller waits). A call's tool calls use a task group instead (`ToolRunner`), so that
/// nothing outlives the call.
package enum Deadline {
    /// What becomes of the operation when the deadline passes first.
    package enum Overrun: Sendable {
        /// It is cancelled: nobody wants its result any more.
        case cancel
        /// It goes on in the background: its effect still matters (a text being sent), only the wait is over.
        case letRun
    }

    /// Runs `operation` until `limit`: its result, or `nil` if the deadline came first. Cancelling the caller
    /// cancels the operation.
    package static func run<Value: Sendable>(
        _ limit: Duration,
        overrun: Overrun = .cancel,
        _ operation: @escaping @Sendable () async throws -> Value
    ) async -> Result<Value, any Error>? {
        let (results, arrival) = AsyncStream.makeStream(of: Result<Value, any Error>?.self)
        let work = Task {
            do {
                arrival.yield(.success(try await operation()))
            } catch {
                arrival.yield(.failure(error))
            }
            arrival.finish()
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            arrival.yield(nil)
            arrival.finish()
        }
        return await withTaskCancellationHandler {
            var decided = false
            var outcome: Result<Value, any Error>?
            for await result in results {
                (decided, outcome) = (true, result)
                break
            }
            timer.cancel()
            // Nothing arrived: the caller was cancelled.
            guard decided else {
                work.cancel()
                return .failure(CancellationError())
            }
            if outcome == nil, overrun == .cancel { work.cancel() }
            return outcome
        } onCancel: {
            work.cancel()
            timer.cancel()
        }
    }
}
