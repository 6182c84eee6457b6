import CallBridge
import CallRecords

/// Counts one call's journal into the server's metrics: each tool call's latency and errors, the tokens and their
/// estimated cost, and the outcome.
final class CallMetricsJournal: CallJournal {
    private let metrics: ServerMetrics
    private let prices: TokenPrices
    private let outcomes = CallOutcomeTracker()

    init(metrics: ServerMetrics, prices: TokenPrices) {
        self.metrics = metrics
        self.prices = prices
    }

    func record(_ entry: CallJournalEntry) async {
        outcomes.observe(entry)
        switch entry {
        case .tool(let name, _, let milliseconds, let outcome):
            metrics.toolCalled(name, milliseconds: milliseconds, outcome: outcome)
        case .usage(let usage):
            metrics.used(usage, costMicroDollars: prices.estimate(usage))
        case .ended(let ending):
            metrics.callEnded(outcomes.outcome(of: ending).outcome)
        case .callerSaid, .assistantSaid, .sessionReplaced, .failed, .jobBooked, .bargeIn, .responseLatency,
            .toolStarted:
            break
        }
    }
}

/// Hands each entry to several journals, in order.
struct CallJournals: CallJournal {
    let journals: [any CallJournal]

    func record(_ entry: CallJournalEntry) async {
        for journal in journals { await journal.record(entry) }
    }

    func flush() async {
        for journal in journals { await journal.flush() }
    }
}
