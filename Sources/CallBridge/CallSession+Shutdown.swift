import Logging
import RealtimeAPI
import Synchronization

/// The server is shutting down and the call has outlasted the drain (issue 14, part 6).
extension CallSession {
    /// Asks the assistant to say goodbye and invite the caller to call back, then hangs up after `hangUpAfter` if
    /// the goodbye has not ended the call. A call that is not talking to the assistant right now (starting, or
    /// replacing a lost session) ends at once. However the call ends from here, its outcome is `ended_by_server`.
    package func closeForShutdown(hangUpAfter: Duration) async {
        let asked = state.withLock { state -> (actions: [CallStateMachine.Action], call: StartedCall)?? in
            guard !state.phase.isOver else { return .none }
            state.closedByServer = true
            guard state.phase.writer != nil, let call = state.call else { return .some(nil) }
            return (state.machine?.wrapUp(CallerAttention.serverClosing) ?? [], call)
        }
        switch asked {
        case .none:
            return
        case .some(nil):
            await end(.endedByServer, closingTwilio: true)
        case .some(let asked?):
            asked.call.logger.info("The server is shutting down; the assistant says goodbye")
            enqueue(.hangUpForShutdown(after: hangUpAfter, asked.call))
            await performQuietly(asked.actions, call: asked.call)
        }
    }

    /// The goodbye has had its time: the call is hung up unless a hang-up or transfer is already under way.
    func hangUpForShutdown(after delay: Duration, call: StartedCall) async {
        try? await Task.sleep(for: delay)
        guard !Task.isCancelled else { return }
        let actions = state.withLock { $0.machine?.timeLimitBackstop() ?? [] }
        if actions.isEmpty {
            return
        }
        call.logger.info("The goodbye did not end the call; hanging up for the shutdown")
        await performQuietly(actions, call: call)
    }
}
