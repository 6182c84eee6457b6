import CallBridge
import Dashboard
import Foundation
import Synchronization

/// The calls this instance serves now and what each is doing, for the dashboard's Today page. Each call's
/// ``Journal`` moves its line: `greeting` until the caller speaks, `talking`, `running <tool>` while a tool runs,
/// `transferring` or `hanging up` once the assistant asked for it.
final class LiveCallBoard: Sendable {
    private let calls = Mutex<[String: LiveCall]>([:])

    var snapshot: [LiveCall] { calls.withLock { Array($0.values) } }

    func started(callSid: String, caller: String?, at: Date = Date()) {
        calls.withLock { $0[callSid] = LiveCall(callSid: callSid, caller: caller, startedAt: at, activity: "greeting") }
    }

    func ended(callSid: String) {
        calls.withLock { _ = $0.removeValue(forKey: callSid) }
    }

    fileprivate func update(_ callSid: String, _ change: (inout LiveCall) -> Void) {
        calls.withLock { calls in
            guard var call = calls[callSid] else { return }
            change(&call)
            calls[callSid] = call
        }
    }

    /// Moves one call's line as its session reports.
    struct Journal: CallJournal {
        let board: LiveCallBoard
        let callSid: String

        func record(_ entry: CallJournalEntry) async {
            board.update(callSid) { call in
                switch entry {
                case .callerSaid:
                    if !call.activity.hasPrefix("running") { call.activity = "talking" }
                case .toolStarted(let name):
                    call.activity =
                        switch name {
                        case CallControlTool.transferToHuman.rawValue: "transferring"
                        case CallControlTool.endCall.rawValue: "hanging up"
                        default: "running \(name)"
                        }
                case .tool:
                    call.activity = "talking"
                default:
                    break
                }
            }
        }
    }
}
