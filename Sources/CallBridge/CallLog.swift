import Logging
import RealtimeAPI

/// The log lines of a call's reports: constant messages, facts in metadata, transcripts at `debug` only.
struct CallLog: Sendable {
    let logger: Logger

    func log(_ report: CallStateMachine.Report) {
        switch report {
        case .callerSaid(let text):
            logger.debug("Caller said", metadata: ["text": "\(text)"])
        case .assistantSaid(let text):
            logger.debug("Assistant said", metadata: ["text": "\(text)"])
        case .usage(let responseID, let usage):
            logger.debug(
                "Response usage",
                metadata: [
                    "response_id": "\(responseID)", "input_tokens": "\(usage.inputTokens)",
                    "output_tokens": "\(usage.outputTokens)",
                ]
            )
        case .realtimeError(let error):
            // A failed truncate or cancel leaves the session usable; what ends it is logged where the call ends.
            let benign = ["response_cancel_not_active"].contains(error.code ?? "")
            logger.log(
                level: benign || error.disposition != .ignore ? .debug : .warning,
                "Realtime error",
                metadata: ["code": "\(error.code ?? "none")", "message": "\(error.message)"]
            )
        case .bargeIn(let itemID, let heardMilliseconds):
            logger.info(
                "Caller interrupted",
                metadata: [
                    "item_id": "\(itemID ?? "none")", "heard_ms": "\(heardMilliseconds.map(String.init) ?? "none")",
                ]
            )
        case .truncated(let itemID, let audioEndMilliseconds):
            logger.debug(
                "Assistant item truncated",
                metadata: ["item_id": "\(itemID)", "audio_end_ms": "\(audioEndMilliseconds)"]
            )
        case .callControlCancelled(let tool):
            logger.info(
                "The caller spoke before the goodbye finished; not ending the call",
                metadata: ["tool": "\(tool.rawValue)"]
            )
        case .toolSkipped(let name, let callID):
            logger.info(
                "Tool call skipped: its response was interrupted",
                metadata: ["tool": "\(name)", "call_id": "\(callID)"]
            )
        }
    }

    func toolCalled(_ name: String, outcome: ToolRunner.Outcome, milliseconds: Int) {
        logger.info(
            "Tool call",
            metadata: ["tool": "\(name)", "outcome": "\(outcome.label)", "latency_ms": "\(milliseconds)"]
        )
    }
}
