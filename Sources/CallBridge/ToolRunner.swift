import Foundation

/// Runs one tool call against a deadline and always produces an output the model can speak about.
package struct ToolRunner: Sendable {
    package enum Outcome: Sendable, Equatable {
        case succeeded(ToolResult)
        case failed(speakableMessage: String)
        case timedOut

        /// The `function_call_output` text.
        package var output: String {
            switch self {
            case .succeeded(let result): result.output
            case .failed(let message): SpokenFailure.errorOutput(message)
            case .timedOut: SpokenFailure.errorOutput(SpokenFailure.toolTimedOut)
            }
        }

        package var label: String {
            switch self {
            case .succeeded: "ok"
            case .failed: "error"
            case .timedOut: "timeout"
            }
        }
    }

    package let provider: any ToolProvider
    package let deadline: Duration

    package init(provider: any ToolProvider, deadline: Duration) {
        self.provider = provider
        self.deadline = deadline
    }

    /// Runs `call` and hands its outcome to `deliver` as soon as there is one: the result, the error, or the
    /// timeout at the deadline. A provider that ignores cancellation delays only this task's end, never the output.
    package func run(_ call: ToolCall, deliver: @Sendable (Outcome) async -> Void) async {
        await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    return .succeeded(try await provider.call(call))
                } catch let error as ToolError {
                    return .failed(speakableMessage: error.speakableMessage)
                } catch {
                    if Task.isCancelled { return nil }
                    return .failed(speakableMessage: SpokenFailure.somethingWentWrong)
                }
            }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return Task.isCancelled ? nil : .timedOut
            }
            // The first to finish wins; the other is cancelled.
            let outcome = await group.next() ?? nil
            group.cancelAll()
            if let outcome { await deliver(outcome) }
        }
    }
}
