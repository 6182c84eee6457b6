import CallBridge
import CallRecords
import Foundation
import Logging
import RealtimeAPI
import Synchronization

/// Writes one call's session events into its call record: the transcript, each tool call, the usage and its
/// estimated cost, and the outcome (with the job a `create_booking` made).
///
/// The call never waits on the database (issue 14): ``record(_:)`` puts the event in a bounded queue, and a task of
/// the journal's own writes the queue in order, trying a failed write again. The call's last entry is `ended`;
/// ``flush()`` waits until everything is written, so the record is whole when the session is over. A full queue merges its
/// oldest transcript turns (then usage reports) into one event; tool calls and the outcome are never merged or
/// dropped.
final class CallRecordJournal: CallJournal {
    /// Events waiting at most; a database that keeps up never holds more than one or two.
    static let capacity = 256
    /// Pauses before the second, third and fourth attempt at a write; after that the event is logged and dropped.
    static let retryDelays: [Duration] = [.milliseconds(200), .seconds(1), .seconds(5)]

    private let callSid: String
    private let prices: TokenPrices
    private let outcomes = CallOutcomeTracker()
    private let queue: CallEventQueue
    private let writer: Task<Void, Never>

    init(store: any CallRecordStore, callSid: String, prices: TokenPrices, logger: Logger) {
        self.callSid = callSid
        self.prices = prices
        let queue = CallEventQueue(capacity: Self.capacity)
        self.queue = queue
        self.writer = Task {
            await Self.write(queue, to: store, callSid: callSid, logger: logger)
        }
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
        case .tool(let name, let arguments, let milliseconds, let outcome):
            let ok = if case .succeeded = outcome { true } else { false }
            event = .tool(
                name: name,
                latencyMilliseconds: milliseconds,
                ok: ok,
                arguments: arguments,
                result: outcome.output
            )
        case .bargeIn(let heard):
            event = .bargeIn(heardMilliseconds: heard)
        case .responseLatency(let milliseconds):
            event = .responseLatency(milliseconds: milliseconds)
        case .failed(let reason):
            event = .failure(reason)
        case .jobBooked, .toolStarted:
            // A job reaches the record with the outcome; a tool call when it is over.
            return
        case .sessionReplaced(let why):
            event = .sessionReplaced(why.rawValue)
        case .ended(let ending):
            let (outcome, jobID) = outcomes.outcome(of: ending)
            queue.append(.outcome(outcome, jobID: jobID), at: Date(), last: true)
            return
        }
        queue.append(event, at: Date(), last: false)
    }

    func flush() async {
        await writer.value
    }

    /// Writes the queue's events in order until the last one is written.
    private static func write(
        _ queue: CallEventQueue,
        to store: any CallRecordStore,
        callSid: String,
        logger: Logger
    ) async {
        while let (event, at) = await queue.next() {
            for attempt in 0...retryDelays.count {
                do {
                    try await store.append(event, callSid: callSid, at: at)
                    break
                } catch {
                    guard attempt < retryDelays.count else {
                        logger.error(
                            "Call record event lost after \(attempt + 1) attempts",
                            metadata: ["call_sid": "\(callSid)", "reason": "\(error)"]
                        )
                        break
                    }
                    logger.warning(
                        "Call record not updated; trying again",
                        metadata: ["call_sid": "\(callSid)", "reason": "\(error)"]
                    )
                    try? await Task.sleep(for: retryDelays[attempt])
                }
            }
        }
    }
}

/// The events of one call waiting to be written, in order, and the wake-up of the task that writes them.
final class CallEventQueue: Sendable {
    private struct State {
        var events: [(event: CallEvent, at: Date)] = []
        /// Whether the last event has been added: once the queue is empty, the writer stops.
        var closed = false
        var waiting: CheckedContinuation<Void, Never>?
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    func append(_ event: CallEvent, at: Date, last: Bool) {
        let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.closed else { return nil }
            state.events.append((event, at))
            if state.events.count > capacity { Self.mergeOldest(&state.events) }
            state.closed = last
            defer { state.waiting = nil }
            return state.waiting
        }
        waiting?.resume()
    }

    /// The oldest event, waiting for one; `nil` once the last has been taken.
    func next() async -> (CallEvent, Date)? {
        while true {
            let taken = state.withLock { state -> (event: (CallEvent, Date)?, done: Bool) in
                if !state.events.isEmpty { return (state.events.removeFirst(), false) }
                return (nil, state.closed)
            }
            if let event = taken.event { return event }
            if taken.done { return nil }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    guard state.events.isEmpty, !state.closed else { return true }
                    state.waiting = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Makes room by merging the oldest pair of neighbouring turns of one speaker, else of usage reports, else by
    /// dropping the oldest turn or usage report.
    static func mergeOldest(_ events: inout [(event: CallEvent, at: Date)]) {
        for index in events.indices.dropLast() {
            let merged: CallEvent? =
                switch (events[index].event, events[index + 1].event) {
                case (.callerSaid(let first), .callerSaid(let second)): .callerSaid(first + " " + second)
                case (.assistantSaid(let first), .assistantSaid(let second)): .assistantSaid(first + " " + second)
                default: nil
                }
            if let merged {
                events[index].event = merged
                events.remove(at: index + 1)
                return
            }
        }
        for index in events.indices.dropLast() {
            if case .usage(let inputA, let outputA, let costA) = events[index].event,
                case .usage(let inputB, let outputB, let costB) = events[index + 1].event
            {
                events[index].event = .usage(
                    inputTokens: inputA + inputB,
                    outputTokens: outputA + outputB,
                    costMicroDollars: costA + costB
                )
                events.remove(at: index + 1)
                return
            }
        }
        // Nothing to merge: the oldest turn or usage report goes. Tool calls and the outcome always stay.
        if let index = events.firstIndex(where: {
            switch $0.event {
            case .callerSaid, .assistantSaid, .usage: true
            default: false
            }
        }) {
            events.remove(at: index)
        }
    }
}
