import Foundation

/// Everything kept about one call, for the company to look at afterwards.
package struct CallRecord: Sendable, Equatable {
    package struct StatusChange: Sendable, Equatable {
        package var status: String
        package var at: Date

        package init(status: String, at: Date) {
            self.status = status
            self.at = at
        }
    }

    package struct ToolCallEntry: Sendable, Equatable {
        package var name: String
        package var latencyMilliseconds: Int
        package var ok: Bool
        package var at: Date
        /// The arguments the model gave, as JSON; `nil` when not recorded.
        package var arguments: String?
        /// What the tool answered, as the model read it; `nil` when not recorded.
        package var result: String?

        package init(
            name: String,
            latencyMilliseconds: Int,
            ok: Bool,
            at: Date,
            arguments: String? = nil,
            result: String? = nil
        ) {
            self.name = name
            self.latencyMilliseconds = latencyMilliseconds
            self.ok = ok
            self.at = at
            self.arguments = arguments
            self.result = result
        }
    }

    /// One event of the call, when it happened: the call's timeline.
    package struct TimedEvent: Sendable, Equatable {
        package var at: Date
        package var event: CallEvent

        package init(at: Date, event: CallEvent) {
            self.at = at
            self.event = event
        }
    }

    package struct Line: Sendable, Equatable {
        /// `caller` or `assistant`.
        package var speaker: String
        package var text: String
        package var at: Date

        package init(speaker: String, text: String, at: Date) {
            self.speaker = speaker
            self.text = text
            self.at = at
        }
    }

    package var callSid: String
    /// E.164, stored whole (logs mask it).
    package var caller: String?
    package var startedAt: Date
    package var endedAt: Date?
    package var durationSeconds: Int?
    package var status: String?
    package var statusHistory: [StatusChange]
    package var toolCalls: [ToolCallEntry]
    package var transcript: [Line]
    /// Why each Realtime session the call replaced was replaced, in order.
    package var sessionReplacements: [String] = []
    /// Why the call failed, when it did.
    package var failureReason: String?
    /// The call's recordings (`RECORD_CALLS`), as Twilio last reported each: SID and status.
    package var recordings: [(sid: String, status: String)] {
        var latest: [(sid: String, status: String)] = []
        for case .recording(let sid, let status, _) in timeline.map(\.event) {
            latest.removeAll { $0.sid == sid }
            latest.append((sid, status))
        }
        return latest
    }

    /// Every recorded event in order (usage reports are summed into the token counts instead).
    package var timeline: [TimedEvent] = []
    /// How long the caller waited for each answer, in order (milliseconds).
    package var responseLatencies: [Int] = []
    /// How much of the assistant's reply had played each time the caller talked over it (milliseconds; `nil` when
    /// unknown).
    package var bargeIns: [Int?] = []
    package var inputTokens: Int
    package var outputTokens: Int
    package var costMicroDollars: Int
    package var outcome: CallOutcome?
    package var jobID: String?

    package init(
        callSid: String,
        caller: String?,
        startedAt: Date,
        endedAt: Date? = nil,
        durationSeconds: Int? = nil,
        status: String? = nil,
        statusHistory: [StatusChange] = [],
        toolCalls: [ToolCallEntry] = [],
        transcript: [Line] = [],
        inputTokens: Int = 0,
        outputTokens: Int = 0,
        costMicroDollars: Int = 0,
        outcome: CallOutcome? = nil,
        jobID: String? = nil
    ) {
        self.callSid = callSid
        self.caller = caller
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationSeconds = durationSeconds
        self.status = status
        self.statusHistory = statusHistory
        self.toolCalls = toolCalls
        self.transcript = transcript
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costMicroDollars = costMicroDollars
        self.outcome = outcome
        self.jobID = jobID
    }

    /// The estimated cost in dollars.
    package var estimatedCostDollars: Double { Double(costMicroDollars) / 1_000_000 }
}
