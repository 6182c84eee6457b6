import CallBridge
import CallRecords
import Foundation
import Logging
import RealtimeAPI

/// Writes one call's session events into its call record: the transcript, each tool call, the usage and its
/// estimated cost, and the outcome (with the job a `create_booking` made). A store failure is logged; the call
/// goes on.
final class CallRecordJournal: CallJournal {
    private let store: any CallRecordStore
    private let callSid: String
    private let prices: TokenPrices
    private let logger: Logger
    private let outcomes = CallOutcomeTracker()

    init(store: any CallRecordStore, callSid: String, prices: TokenPrices, logger: Logger) {
        self.store = store
        self.callSid = callSid
        self.prices = prices
        self.logger = logger
    }

    func record(_ entry: CallJournalEntry) async {
        outcomes.observe(entry)
        let event: CallEvent
        switch entry {
        case .callerSaid(let text):
            event = .callerSaid(text)
        case .assistantSaid(let text):
            event = .assistantSaid(text)
        case .usage(let usage):
            event = .usage(
                inputTokens: usage.inputTokens,
                outputTokens: usage.outputTokens,
                costMicroDollars: prices.estimate(usage)
            )
        case .tool(let name, let milliseconds, let outcome):
            let ok = if case .succeeded = outcome { true } else { false }
            event = .tool(name: name, latencyMilliseconds: milliseconds, ok: ok)
        case .ended(let ending):
            let (outcome, jobID) = outcomes.outcome(of: ending)
            event = .outcome(outcome, jobID: jobID)
        }
        do {
            try await store.append(event, callSid: callSid, at: Date())
        } catch {
            logger.warning("Call record not updated", metadata: ["reason": "\(error)"])
        }
    }
}
