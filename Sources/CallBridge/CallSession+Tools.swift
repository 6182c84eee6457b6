import Logging
import RealtimeAPI
import Synchronization
import TwilioMedia

/// The call's tools: the provider's, run against their deadline, and call control (hanging up, transferring).
extension CallSession {
    /// Runs one tool call and sends its output to the model, then whatever the state machine asks next. The call
    /// keeps running if the session is replaced meanwhile: its output goes to the session open when it finishes,
    /// or into the conversation restored on the next one.
    func runTool(_ invocation: CallStateMachine.ToolInvocation, call: StartedCall) async {
        let started = ContinuousClock.now
        await call.journal?.record(.toolStarted(name: invocation.name))
        let request = ToolCall(
            name: invocation.name,
            arguments: invocation.arguments,
            callID: invocation.callID,
            callSid: call.start.callSid,
            callerNumber: call.callerNumber,
            callerNumberVerified: call.callerNumberVerified
        )
        await ToolRunner(provider: tools, deadline: configuration.toolDeadline).run(request) { outcome in
            let milliseconds = Self.milliseconds(ContinuousClock.now - started)
            CallLog(logger: call.logger).toolCalled(invocation.name, outcome: outcome, milliseconds: milliseconds)
            await call.journal?.record(
                .tool(
                    name: invocation.name,
                    arguments: invocation.arguments,
                    milliseconds: milliseconds,
                    outcome: outcome
                )
            )
            guard !Task.isCancelled else { return }
            let now = ContinuousClock.now
            let actions = self.state.withLock {
                $0.machine?.toolFinished(invocation, output: outcome.output, at: now) ?? []
            }
            await self.performQuietly(actions, call: call)
        }
    }

    /// The goodbye's audio has had time to play: a pending hang-up or transfer goes ahead even if its last marks
    /// never came back, unless a newer check replaced this one.
    func checkCallControl(after delay: Duration, generation: Int, call: StartedCall) async {
        try? await Task.sleep(for: delay)
        guard !Task.isCancelled else { return }
        let now = ContinuousClock.now
        let actions = state.withLock { state -> [CallStateMachine.Action] in
            guard state.callControlCheck == generation else { return [] }
            return state.machine?.callControlCheckDue(at: now) ?? []
        }
        guard !actions.isEmpty else { return }
        call.logger.info("The goodbye's last marks did not come back; going ahead")
        await performQuietly(actions, call: call)
    }

    /// Hangs up or transfers through the call controller, then ends the call. A transfer that fails is reported to
    /// the model so the assistant can tell the caller; a hang-up that fails still ends the call.
    func controlCall(
        _ tool: CallControlTool,
        callID: String,
        writer: RealtimeEventWriter?,
        call: StartedCall
    ) async throws {
        let logger = call.logger
        await call.journal?.record(.toolStarted(name: tool.rawValue))
        do {
            switch tool {
            case .endCall:
                logger.info("Ending the call: the goodbye has played")
                if let callController {
                    try await callController.hangUp(callSid: call.start.callSid)
                } else {
                    logger.warning("No Twilio REST credentials: ending the call by closing the media stream")
                }
            case .transferToHuman:
                logger.info("Transferring the call to a person")
                guard let callController else { throw ToolError("No call controller") }
                try await callController.transfer(callSid: call.start.callSid)
            }
        } catch {
            logger.error("Call control failed", metadata: ["tool": "\(tool.rawValue)", "reason": "\(error)"])
            if tool == .transferToHuman {
                let actions = state.withLock {
                    $0.machine?.callControlFailed(callID: callID, message: SpokenFailure.transferFailed) ?? []
                }
                for action in actions { try await perform(action, writer: writer, call: call) }
                return
            }
        }
        await end(tool == .endCall ? .assistantHungUp : .transferred, closingTwilio: true)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
