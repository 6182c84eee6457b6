import Logging
import RealtimeAPI
import Synchronization

/// What the call watches with the clock: a silent caller, the call's time limit, and the session's age.
extension CallSession {
    /// Every quarter second while the call goes on: a caller gone silent is asked if they are still there (and in
    /// the end hung up on); at the call's time limit the assistant is asked to wrap up, with a hang-up a minute
    /// later if it does not; and a session due for rollover is replaced at the first turn boundary.
    func watchAttention(call: StartedCall) async {
        var wrapUpAt = configuration.maxCallDuration.map { ContinuousClock.now + $0 }
        var backstopAt: ContinuousClock.Instant?
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let now = ContinuousClock.now
            var reachedLimit = false
            var rollOver = false
            let actions = state.withLock { state -> [CallStateMachine.Action] in
                guard state.phase.writer != nil else { return [] }
                var actions: [CallStateMachine.Action] = []
                if let silence = configuration.silenceTimeout {
                    actions += state.machine?.attentionCheck(at: now, silence: silence) ?? []
                }
                if let at = wrapUpAt, now >= at {
                    wrapUpAt = nil
                    backstopAt = now + .seconds(60)
                    reachedLimit = true
                    actions += state.machine?.timeLimitReached() ?? []
                }
                if let at = backstopAt, now >= at {
                    backstopAt = nil
                    actions += state.machine?.timeLimitBackstop() ?? []
                }
                if actions.isEmpty, !state.rollingOver, let at = state.rolloverAt, now >= at,
                    state.machine?.isAtTurnBoundary == true
                {
                    state.rollingOver = true
                    rollOver = true
                }
                return actions
            }
            if reachedLimit { call.logger.info("Call time limit reached; asking the assistant to wrap up") }
            if rollOver { enqueue(.rollOver(call)) }
            guard !Task.isCancelled, !actions.isEmpty else { continue }
            if actions.contains(where: \.createsResponse), !reachedLimit {
                call.logger.info("The caller has been silent; the assistant checks on them")
            }
            await performQuietly(actions, call: call)
        }
    }
}
