import Booking
import CallRecords
import CallRecordsSQL
import Foundation

/// `/dashboard/calls/<sid>`: one call as a timeline: what was said, each tool call with its arguments and result,
/// barge-ins, reconnects, status callbacks, how it ended; its cost, and the texts of the move it made.
struct CallPage: Sendable {
    struct Tool: Sendable {
        var name: String
        var latency: String
        var status: String
        var arguments: String
        var result: String
    }

    struct Entry: Sendable {
        var time: String
        /// The CSS class: `caller`, `assistant`, `tool`, `status`, `barge_in`, …
        var kind: String
        var speaker: String?
        var text: String?
        var tool: Tool?
        var label: String?
        var note: String?
    }

    struct Text: Sendable {
        var time: String
        var recipient: String
        var status: String
        var body: String
    }

    var chrome: PageChrome
    var callSid: String
    var caller: String
    var started: String
    var duration: String
    var outcome: String
    var outcomeClass: String
    var failureReason: String?
    var jobID: String?
    var inputTokens: Int
    var outputTokens: Int
    var cost: String
    var latency: String
    var timeline: [Entry]
    var texts: [Text]
    /// Where the page's player gets each recording (through this server).
    var recordings: [String]

    init(chrome: PageChrome, record: CallRecord, texts: [OutboxMessage], format: DashboardFormat) {
        self.chrome = chrome
        callSid = record.callSid
        caller = DashboardFormat.full(record.caller)
        started = format.dateTime(record.startedAt)
        duration = DashboardFormat.duration(
            seconds: record.durationSeconds
                ?? record.endedAt.map { max(0, Int($0.timeIntervalSince(record.startedAt).rounded())) }
        )
        outcome = DashboardFormat.label(record.outcome?.rawValue)
        outcomeClass = record.outcome?.rawValue ?? "live"
        failureReason = record.failureReason
        jobID = record.jobID
        inputTokens = record.inputTokens
        outputTokens = record.outputTokens
        cost = DashboardFormat.dollars(microDollars: record.costMicroDollars)
        let waits = record.responseLatencies.sorted()
        latency =
            waits.isEmpty
            ? "no answer measured"
            : "\(waits.count) answers, median \(DashboardFormat.milliseconds(CallFigures.percentile(waits, 0.5))), "
                + "longest \(DashboardFormat.milliseconds(waits.last))"
        timeline = record.timeline.compactMap { Self.entry($0, format: format) }
        recordings = record.recordings.filter { !["absent", "failed"].contains($0.status) }.map {
            "/dashboard/calls/\(record.callSid)/recording/\($0.sid)"
        }
        self.texts = texts.map {
            Text(
                time: format.dateTime($0.createdAt),
                recipient: DashboardFormat.full($0.recipient),
                status: $0.status,
                body: $0.body
            )
        }
    }

    static func entry(_ timed: CallRecord.TimedEvent, format: DashboardFormat) -> Entry? {
        let time = format.time(timed.at)
        func note(_ kind: String, _ label: String, _ note: String) -> Entry {
            Entry(time: time, kind: kind, label: label, note: note)
        }
        switch timed.event {
        case .callerSaid(let text):
            return Entry(time: time, kind: "caller", speaker: "Caller", text: text)
        case .assistantSaid(let text):
            return Entry(time: time, kind: "assistant", speaker: "Assistant", text: text)
        case .tool(let name, let latency, let ok, let arguments, let result):
            let tool = Tool(
                name: name,
                latency: DashboardFormat.milliseconds(latency),
                status: ok ? "ok" : "failed",
                arguments: arguments ?? "(not recorded)",
                result: result ?? "(not recorded)"
            )
            return Entry(time: time, kind: "tool", tool: tool)
        case .bargeIn(let heard):
            let heardText = heard.map { " after \(DashboardFormat.milliseconds($0)) of the reply" } ?? ""
            return note("barge_in", "Barge-in", "the caller talked over the assistant\(heardText)")
        case .sessionReplaced(let reason):
            return note("session_replaced", "Reconnected", "a new Realtime session carried on (\(reason))")
        case .status(let status, let duration):
            return note("status", "Twilio", status + (duration.map { ", \($0) s" } ?? ""))
        case .failure(let reason):
            return note("failure", "Failed", reason)
        case .outcome(let outcome, let jobID):
            return note(
                "outcome",
                "Ended",
                DashboardFormat.label(outcome.rawValue) + (jobID.map { ", move \($0)" } ?? "")
            )
        case .recording(let sid, let status, let duration):
            return note("recording", "Recording", "\(sid) \(status)" + (duration.map { ", \($0) s" } ?? ""))
        case .responseLatency, .usage:
            return nil
        }
    }
}
