import Booking
import CallRecords
import Foundation
import TwilioMedia
import VoiceTesting

/// What a simulated call left behind, and whether it did what it should: a move booked and its confirmation sent.
package struct SimulationReport: Sendable {
    package struct Text: Sendable, Equatable {
        package var to: String
        package var body: String

        package init(to: String, body: String) {
            self.to = to
            self.body = body
        }
    }

    package var caller: CallerReport
    package var record: CallRecord?
    package var job: Job?
    /// The texts the fake Twilio API was asked to send.
    package var texts: [Text]
    /// Client events the fake Realtime service found malformed.
    package var realtimeViolations: [String]

    package init(
        caller: CallerReport,
        record: CallRecord?,
        job: Job?,
        texts: [Text],
        realtimeViolations: [String]
    ) {
        self.caller = caller
        self.record = record
        self.job = job
        self.texts = texts
        self.realtimeViolations = realtimeViolations
    }

    /// Why the simulation failed; empty when the move was booked and confirmed by text.
    package var problems: [String] {
        var problems: [String] = []
        if record == nil { problems.append("the call left no record") }
        if job == nil { problems.append("no move was booked") }
        if let job, !texts.contains(where: { $0.body.contains(job.id) }) {
            problems.append("no confirmation text was sent for \(job.id)")
        }
        if record?.outcome != .booked {
            problems.append("the call ended \(record?.outcome?.rawValue ?? "without an outcome")")
        }
        problems += caller.violations.map { "the server sent Twilio \($0)" }
        problems += realtimeViolations.map { "the server sent the Realtime service \($0)" }
        return problems
    }

    package var succeeded: Bool { problems.isEmpty }

    /// The call as a person would read it: the transcript with each tool call where it happened, the booking,
    /// the text, and the verdict.
    package func rendered() -> String {
        var lines: [String] = []
        guard let record else {
            return (["Simulated call: no record."] + problems.map { "  ✗ \($0)" }).joined(separator: "\n")
        }
        lines.append("Simulated call \(record.callSid) from \(MaskedPhoneNumber(record.caller))")
        lines.append("")
        enum Entry {
            case line(CallRecord.Line)
            case tool(CallRecord.ToolCallEntry)
            var at: Date {
                switch self {
                case .line(let line): line.at
                case .tool(let tool): tool.at
                }
            }
        }
        let entries = (record.transcript.map(Entry.line) + record.toolCalls.map(Entry.tool)).enumerated()
            .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        for entry in entries {
            switch entry {
            case .line(let line):
                lines.append("  \(line.speaker.padding(toLength: 10, withPad: " ", startingAt: 0)) \(line.text)")
            case .tool(let tool):
                lines.append("  ⚙ tool     \(tool.name): \(tool.latencyMilliseconds) ms, \(tool.ok ? "ok" : "failed")")
            }
        }
        lines.append("")
        if let job {
            lines.append(
                "Booking \(job.id): \(job.customerName), \(job.homeSize.rawValue) on \(job.date.spoken), "
                    + "\(job.window.rawValue), estimate \(PriceEstimate.dollars(job.priceEstimateCents)), "
                    + "status \(job.status.rawValue)"
            )
            lines.append("  from \(job.pickupAddress) to \(job.dropoffAddress)")
        }
        for text in texts {
            lines.append("Text to \(MaskedPhoneNumber(text.to)): \(text.body)")
        }
        let tokens = "\(record.inputTokens) in, \(record.outputTokens) out"
        lines.append(
            "Outcome: \(record.outcome?.rawValue ?? "none"); tokens \(tokens), estimated cost "
                + String(format: "$%.4f", record.estimatedCostDollars)
        )
        lines.append("")
        if succeeded {
            lines.append("✓ The move was booked and the confirmation sent.")
        } else {
            lines += problems.map { "✗ \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
