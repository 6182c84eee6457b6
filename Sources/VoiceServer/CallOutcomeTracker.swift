import CallBridge
import CallRecords
import Synchronization

/// Decides a call's outcome from its journal: `booked` once a tool call reported booking a job (``ToolEffect``),
/// otherwise how the session ended.
final class CallOutcomeTracker: Sendable {
    private let bookedJobID = Mutex<String?>(nil)

    /// Notes a booking made on the call.
    func observe(_ entry: CallJournalEntry) {
        switch entry {
        case .tool(_, _, _, .succeeded(let result)):
            guard let jobID = result.bookedJobID else { return }
            bookedJobID.withLock { $0 = jobID }
        case .jobBooked(let jobID):
            // What the booking system said at the end of the call; a job a tool's answer named stays.
            bookedJobID.withLock { $0 = $0 ?? jobID }
        default:
            return
        }
    }

    func outcome(of ending: CallEnding) -> (outcome: CallOutcome, jobID: String?) {
        let jobID = bookedJobID.withLock { $0 }
        let outcome: CallOutcome =
            switch ending {
            case _ where jobID != nil: .booked
            case .transferred: .transferred
            case .assistantHungUp: .endedByAssistant
            case .callerHungUp: .endedByCaller
            case .failed: .failed
            case .endedByServer: .endedByServer
            }
        return (outcome, jobID)
    }
}
