import Synchronization

/// What the load generator measured across all its calls.
final class BenchStatistics: Sendable {
    /// A caller frame from the caller's send to the fake Realtime service's receipt, through the server.
    let callerToRealtime = LatencyHistogram()
    /// An assistant delta from the fake Realtime service's send to the caller's receipt, through the server.
    let realtimeToCaller = LatencyHistogram()
    /// From `response.function_call_arguments.done` sent to the tool's `function_call_output` received.
    let toolCalls = LatencyHistogram()

    let callerFramesSent = Atomic<Int>(0)
    /// Caller frames that reached the stand-in Realtime service after a frame the same caller sent later.
    let callerFramesOutOfOrder = Atomic<Int>(0)
    let assistantDeltasSent = Atomic<Int>(0)
    let toolErrors = Atomic<Int>(0)
    let connectedCalls = Atomic<Int>(0)
    /// Calls whose stream the server closed before the caller hung up.
    let droppedCalls = Atomic<Int>(0)
    let realtimeSessions = Atomic<Int>(0)
    /// Per call, the longest wait between two assistant frames during the measurement, less the frames' period:
    /// the silence a caller heard across a replaced session (recorded at hang-up).
    let longestSilence = LatencyHistogram()
    /// When the measurement started (``AudioStamp`` nanoseconds); 0 before. Gaps count from then.
    let measuringSince = Atomic<UInt64>(0)

    func reset() {
        callerToRealtime.reset()
        realtimeToCaller.reset()
        toolCalls.reset()
        callerFramesSent.store(0, ordering: .relaxed)
        assistantDeltasSent.store(0, ordering: .relaxed)
        toolErrors.store(0, ordering: .relaxed)
    }
}
