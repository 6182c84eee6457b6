import CallRecords
import CallRecordsSQL
import Foundation

/// `/dashboard/calls`: the calls, newest first, filtered and paged.
struct CallsPage: Sendable {
    struct Filter: Sendable {
        var from: String
        var to: String
        var outcome: String
        var caller: String
    }

    struct OutcomeOption: Sendable {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Row: Sendable {
        var callSid: String
        var time: String
        var caller: String
        var duration: String
        var outcome: String
        var outcomeClass: String
        var jobID: String?
        var cost: String
        var latency: String

        init(_ call: CallSummary, format: DashboardFormat) {
            callSid = call.callSid
            time = format.dateTime(call.startedAt)
            caller = DashboardFormat.masked(call.caller)
            duration = DashboardFormat.duration(seconds: call.length)
            outcome = DashboardFormat.label(call.outcome?.rawValue)
            outcomeClass = call.outcome?.rawValue ?? "live"
            jobID = call.jobID
            cost = DashboardFormat.dollars(microDollars: call.costMicroDollars)
            latency = DashboardFormat.milliseconds(call.averageResponseMilliseconds)
        }
    }

    var chrome: PageChrome
    var filter: Filter
    var outcomes: [OutcomeOption]
    var calls: [Row]
    var page: Int
    var previous: String?
    var next: String?

    static let outcomes: [CallOutcome] = [
        .booked, .transferred, .endedByAssistant, .endedByCaller, .endedByServer, .failed,
    ]
}
