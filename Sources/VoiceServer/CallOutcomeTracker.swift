import CallBridge
import CallRecords
import Foundation
import Synchronization

/// Decides a call's outcome from its journal: `booked` once a `create_booking` answered with a job, otherwise
/// how the session ended.
final class CallOutcomeTracker: Sendable {
    private let bookedJobID = Mutex<String?>(nil)

    /// Notes a booking made on the call.
    func observe(_ entry: CallJournalEntry) {
        guard case .tool("create_booking", _, .succeeded(let output)) = entry, let jobID = Self.jobID(in: output)
        else { return }
        bookedJobID.withLock { $0 = jobID }
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
            }
        return (outcome, jobID)
    }

    private static func jobID(in output: String) -> String? {
        struct Booked: Decodable { var job_id: String }
        return (try? JSONDecoder().decode(Booked.self, from: Data(output.utf8)))?.job_id
    }
}
