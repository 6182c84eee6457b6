import Foundation

/// The calls this instance knows about, in memory: who called, the status callbacks received, and whether a media
/// stream is open. Durable call records come with the booking database (issue 6).
package actor CallRegistry {
    package struct StatusUpdate: Sendable, Equatable {
        /// Twilio's `CallStatus`: `ringing`, `in-progress`, `completed`, `busy`, `failed`, `no-answer`, `canceled`.
        package var status: String
        /// Twilio's `SequenceNumber`; callbacks may arrive out of order, so they are kept ordered by it.
        package var sequenceNumber: Int?
        /// `CallDuration` in whole seconds, on the final callback.
        package var durationSeconds: Int?
        package var receivedAt: Date
    }

    package enum Phase: Sendable, Equatable {
        /// The webhook answered; no media stream yet.
        case answered
        /// A media stream is open.
        case streaming(streamSid: String)
        /// The media stream closed.
        case streamEnded
    }

    package struct Call: Sendable, Equatable {
        package var callSid: String
        package var from: String?
        package var to: String?
        package var phase: Phase
        package var statusUpdates: [StatusUpdate]

        /// The status with the highest sequence number (or the last received when Twilio sent none).
        package var latestStatus: String? { statusUpdates.last?.status }
    }

    /// Finished calls kept for inspection; the oldest are forgotten beyond this.
    private let capacity: Int
    private var calls: [String: Call] = [:]
    private var arrivalOrder: [String] = []
    package private(set) var activeStreamCount = 0
    /// Realtime sessions open now; back to zero when no call is running.
    package private(set) var activeRealtimeSessionCount = 0

    package init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    package func call(_ callSid: String) -> Call? {
        calls[callSid]
    }

    package func callAnswered(callSid: String, from: String?, to: String?) {
        if calls[callSid] == nil {
            insert(Call(callSid: callSid, from: from, to: to, phase: .answered, statusUpdates: []))
        } else {
            calls[callSid]?.from = from
            calls[callSid]?.to = to
        }
    }

    /// Records a status callback. A callback whose sequence number was already recorded is ignored (Twilio retries).
    package func statusReceived(callSid: String, update: StatusUpdate) {
        if calls[callSid] == nil {
            insert(Call(callSid: callSid, from: nil, to: nil, phase: .answered, statusUpdates: []))
        }
        guard var call = calls[callSid] else { return }
        if let sequenceNumber = update.sequenceNumber,
            call.statusUpdates.contains(where: { $0.sequenceNumber == sequenceNumber })
        {
            return
        }
        let position = call.statusUpdates.firstIndex {
            guard let new = update.sequenceNumber, let existing = $0.sequenceNumber else { return false }
            return existing > new
        }
        call.statusUpdates.insert(update, at: position ?? call.statusUpdates.endIndex)
        calls[callSid] = call
    }

    /// Records the call's media stream as open; `false`, changing nothing, when the call already has one open
    /// (a second stream for a live call is refused).
    @discardableResult
    package func streamStarted(callSid: String, streamSid: String) -> Bool {
        if calls[callSid] == nil {
            insert(Call(callSid: callSid, from: nil, to: nil, phase: .answered, statusUpdates: []))
        }
        if case .streaming = calls[callSid]?.phase { return false }
        calls[callSid]?.phase = .streaming(streamSid: streamSid)
        activeStreamCount += 1
        return true
    }

    package func streamEnded(callSid: String) {
        guard case .streaming = calls[callSid]?.phase else { return }
        calls[callSid]?.phase = .streamEnded
        activeStreamCount -= 1
    }

    package func realtimeSessionStarted() {
        activeRealtimeSessionCount += 1
    }

    package func realtimeSessionEnded() {
        activeRealtimeSessionCount -= 1
    }

    private func insert(_ call: Call) {
        calls[call.callSid] = call
        arrivalOrder.append(call.callSid)
        guard arrivalOrder.count > capacity else { return }
        // Forget the oldest call that has no open stream.
        if let index = arrivalOrder.firstIndex(where: {
            if case .streaming = calls[$0]?.phase { false } else { true }
        }) {
            calls[arrivalOrder.remove(at: index)] = nil
        }
    }
}
