import CallBridge
import CallRecords
import Foundation
import Logging
import RealtimeAPI
import Synchronization

/// Writes one call's session events into its call record: the transcript, each tool call, the usage and its
/// estimated cost, and the outcome (with the job a `create_booking` made). A store failure is logged; the call
/// goes on.
final class CallRecordJournal: CallJournal {
    private let store: any CallRecordStore
    private let callSid: String
    private let prices: TokenPrices
    private let logger: Logger
    /// The job booked on this call, from `create_booking`'s answer.
    private let bookedJobID = Mutex<String?>(nil)

    init(store: any CallRecordStore, callSid: String, prices: TokenPrices, logger: Logger) {
        self.store = store
        self.callSid = callSid
        self.prices = prices
        self.logger = logger
    }

    func record(_ entry: CallJournalEntry) async {
        let event: CallEvent
        switch entry {
        case .callerSaid(let text):
            event = .callerSaid(text)
        case .assistantSaid(let text):
            event = .assistantSaid(text)
        case .usage(let usage):
            let cost = prices.estimate(
                inputTextTokens: usage.inputTextTokens,
                inputAudioTokens: usage.inputAudioTokens,
                cachedInputTokens: usage.cachedInputTokens,
                outputTextTokens: usage.outputTextTokens,
                outputAudioTokens: usage.outputAudioTokens
            )
            event = .usage(inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costMicroDollars: cost)
        case .tool(let name, let milliseconds, let outcome):
            if name == "create_booking", case .succeeded(let output) = outcome, let jobID = Self.jobID(in: output) {
                bookedJobID.withLock { $0 = jobID }
            }
            let ok = if case .succeeded = outcome { true } else { false }
            event = .tool(name: name, latencyMilliseconds: milliseconds, ok: ok)
        case .ended(let ending):
            let jobID = bookedJobID.withLock { $0 }
            let outcome: CallOutcome =
                switch ending {
                case _ where jobID != nil: .booked
                case .transferred: .transferred
                case .assistantHungUp: .endedByAssistant
                case .callerHungUp: .endedByCaller
                case .failed: .failed
                }
            event = .outcome(outcome, jobID: jobID)
        }
        do {
            try await store.append(event, callSid: callSid, at: Date())
        } catch {
            logger.warning("Call record not updated", metadata: ["reason": "\(error)"])
        }
    }

    private static func jobID(in output: String) -> String? {
        struct Booked: Decodable { var job_id: String }
        return (try? JSONDecoder().decode(Booked.self, from: Data(output.utf8)))?.job_id
    }
}
