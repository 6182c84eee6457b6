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

    /// Calls answered in the last ``AdmissionLimits/pendingWindow`` whose stream has not started yet.
    package func pendingCallCount(at now: Date) -> Int {
        pendingCalls.values.filter { now.timeIntervalSince($0) < AdmissionLimits.pendingWindow }.count
    }

    package init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    package func call(_ callSid: String) -> Call? {
        calls[callSid]
    }

    /// The limits ``admit(callSid:from:to:limits:at:)`` applies.
    package struct AdmissionLimits: Sendable, Equatable {
        /// Calls in progress, counting those answered in the last ``pendingWindow`` whose stream has not started.
        package var maximumConcurrentCalls: Int
        /// Calls answered from one number in any hour.
        package var maximumCallsPerNumberPerHour: Int

        package init(maximumConcurrentCalls: Int, maximumCallsPerNumberPerHour: Int) {
            self.maximumConcurrentCalls = maximumConcurrentCalls
            self.maximumCallsPerNumberPerHour = maximumCallsPerNumberPerHour
        }

        /// How long an answered call holds a line while its media stream is on its way.
        package static let pendingWindow: TimeInterval = 30
    }

    /// Whether a new call is taken, and if not, why.
    package enum Admission: Sendable, Equatable {
        case admitted
        /// Every line is taken.
        case busy
        /// This number called too often in the last hour.
        case tooManyCallsFromNumber
    }

    /// Answered calls whose media stream has not started yet, with when they were answered.
    private var pendingCalls: [String: Date] = [:]
    /// When each number's calls were answered in the last hour.
    private var callTimesByNumber: [String: [Date]] = [:]

    /// Decides, in one step, whether the call can be taken under `limits`, and records it as answered if so. A
    /// webhook Twilio retries for a call already taken is taken again without counting twice.
    package func admit(callSid: String, from: String?, to: String?, limits: AdmissionLimits, at now: Date) -> Admission
    {
        if calls[callSid] != nil, pendingCalls[callSid] != nil || isStreaming(callSid) {
            callAnswered(callSid: callSid, from: from, to: to)
            return .admitted
        }
        pendingCalls = pendingCalls.filter { now.timeIntervalSince($0.value) < AdmissionLimits.pendingWindow }
        guard activeStreamCount + pendingCalls.count < limits.maximumConcurrentCalls else { return .busy }
        // Callers who hide their number share one allowance: "anonymous" and its kin are one key.
        let number = from ?? ""
        let hourAgo = now.addingTimeInterval(-3600)
        var times = callTimesByNumber[number, default: []].filter { $0 > hourAgo }
        guard times.count < limits.maximumCallsPerNumberPerHour else {
            callTimesByNumber[number] = times
            return .tooManyCallsFromNumber
        }
        times.append(now)
        callTimesByNumber[number] = times
        if callTimesByNumber.count > capacity {
            callTimesByNumber = callTimesByNumber.filter { $0.value.contains { $0 > hourAgo } }
        }
        pendingCalls[callSid] = now
        callAnswered(callSid: callSid, from: from, to: to)
        return .admitted
    }

    private func isStreaming(_ callSid: String) -> Bool {
        if case .streaming = calls[callSid]?.phase { true } else { false }
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
        if Self.finalStatuses.contains(update.status) { pendingCalls[callSid] = nil }
    }

    /// Records the call's media stream as open; `false`, changing nothing, when the call already has had one (a
    /// second stream for a call, live or over, is refused: Twilio opens one per call).
    @discardableResult
    package func streamStarted(callSid: String, streamSid: String) -> Bool {
        pendingCalls[callSid] = nil
        if calls[callSid] == nil {
            insert(Call(callSid: callSid, from: nil, to: nil, phase: .answered, statusUpdates: []))
        }
        switch calls[callSid]?.phase {
        case .streaming, .streamEnded: return false
        case .answered, nil: break
        }
        calls[callSid]?.phase = .streaming(streamSid: streamSid)
        activeStreamCount += 1
        return true
    }

    /// Twilio's `CallStatus`es after which the call is over.
    static let finalStatuses: Set<String> = ["completed", "busy", "failed", "no-answer", "canceled"]

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
