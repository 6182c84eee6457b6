import CoreMetrics
import Logging
import RealtimeAPI
import Synchronization
import TwilioMedia

/// The caller's side: Twilio's media stream, read until `stop` or its end.
extension CallSession {
    /// Reads the media stream: starts the call at `start`, relays the caller's audio, hands marks to the state
    /// machine, and ends the call when the stream stops, closes or fails.
    func readTwilio(_ inbound: some AsyncSequence<TwilioArrival, any Error> & Sendable) async {
        var mediaFrames = 0
        do {
            for try await arrival in inbound {
                if let sequence = arrival.message.sequenceNumber {
                    state.withLock { $0.lastSequence = max($0.lastSequence, sequence) }
                }
                switch arrival.message {
                case .start(let start):
                    guard await begin(start) else { return }
                case .media(let media):
                    mediaFrames += 1
                    await relayCallerAudio(media.payload, arrivedAt: arrival.arrivedAt)
                case .mark(let mark):
                    await markEchoed(mark.name)
                case .dtmf(let dtmf):
                    callLogger.info("Caller pressed a key", metadata: ["digit": "\(dtmf.digit)"])
                    await keyPressed(dtmf.digit)
                case .stop:
                    let direct = directFrames
                    callLogger.info(
                        "Media stream stopped",
                        metadata: ["media_frames": "\(mediaFrames + direct)", "direct_frames": "\(direct)"]
                    )
                    await end(.callerHungUp, closingTwilio: true)
                    return
                case .connected, .unknown:
                    break
                }
            }
        } catch {
            // Cancelled: the call ended on the other side, which closes the stream itself.
            guard !Task.isCancelled else { return }
            state.withLock { $0.streamFault = error }
            await end(.callerHungUp, closingTwilio: false)
            return
        }
        let frames = mediaFrames + directFrames
        if state.withLock({ $0.phase.isOver }) {
            callLogger.info("Media stream closed after the call ended", metadata: ["media_frames": "\(frames)"])
        } else {
            // Twilio sends `stop` before closing; without one the peer vanished or broke the WebSocket protocol.
            callLogger.warning("Media stream ended without stop", metadata: ["media_frames": "\(frames)"])
        }
        await end(.callerHungUp, closingTwilio: true)
    }

    /// Caller frames relayed straight from the socket (``relayCallerAudioDirectly(_:arrivedAt:)``).
    package var directFrames: Int {
        state.withLock { $0.directFrames }
    }

    /// The caller's audio straight from the media stream's socket, on its event loop: written to the open Realtime
    /// session at once, with no task switch, no async sequence and no second decoding in between. Only when that
    /// keeps every order ``readTwilio(_:)`` keeps: the frame's sequence number follows the last one handled (so
    /// nothing the caller sent before it is still on its way through the ordinary path), it is for this call's
    /// stream, and the session has already been sent the audio kept while it opened. `false`: nothing was done,
    /// and the frame goes the ordinary way.
    package func relayCallerAudioDirectly(
        _ media: TwilioInboundMessage.Media,
        arrivedAt: ContinuousClock.Instant
    )
        -> Bool
    {
        let writer = state.withLock { state -> RealtimeEventWriter? in
            guard let sequence = media.sequenceNumber, sequence == state.lastSequence + 1,
                let writer = state.phase.writer, writer.canSendNow, state.flushedSession == state.session,
                state.call?.start.streamSid == media.streamSid
            else { return nil }
            state.lastSequence = sequence
            state.directFrames += 1
            return writer
        }
        guard let writer else { return false }
        writer.sendNow(.inputAudioBufferAppend(audio: media.payload))
        metrics.callerAudioRelay.recordElapsed(since: arrivedAt)
        return true
    }

    /// The logger with the call's SIDs once it has started.
    var callLogger: Logger {
        state.withLock { $0.call?.logger } ?? logger
    }

    /// Twilio's `start`: the host admits the call, and its Realtime session is opened. `false` when the host
    /// refused it: the call is over, and the owner closes the stream.
    private func begin(_ start: TwilioInboundMessage.Start) async -> Bool {
        var logger = self.logger
        logger[metadataKey: "call_sid"] = "\(start.callSid)"
        logger[metadataKey: "stream_sid"] = "\(start.streamSid)"
        guard let admission = await host.callStarted(start, logger: logger) else {
            state.withLock { $0.streamFault = CallRefused(reason: "the call already has had its media stream") }
            await end(.callerHungUp, closingTwilio: false)
            return false
        }
        logger.info("Media stream started", metadata: ["from": "\(MaskedPhoneNumber(admission.callerNumber))"])
        let call = StartedCall(
            start: start,
            callerNumber: admission.callerNumber,
            callerNumberVerified: admission.callerNumberVerified,
            journal: admission.journal,
            logger: logger
        )
        let started = state.withLock { state -> Bool in
            guard case .waitingForStart = state.phase else { return false }
            state.call = call
            state.phase = .connecting(bufferedAudio: [])
            return true
        }
        if started { enqueue(.converse(call)) }
        return true
    }

    /// Writes the caller's audio to the Realtime session, or keeps it while the session opens.
    private func relayCallerAudio(_ payload: String, arrivedAt: ContinuousClock.Instant) async {
        let writer = state.withLock { state -> RealtimeEventWriter? in
            if let writer = state.phase.writer { return writer }
            _ = state.phase.buffer(payload, limit: Self.maximumBufferedFrames)
            return nil
        }
        guard let writer else { return }
        do {
            try await writer.send(.inputAudioBufferAppend(audio: payload))
            metrics.callerAudioRelay.recordElapsed(since: arrivedAt)
        } catch {
            callLogger.debug("Caller audio not relayed", metadata: ["reason": "\(error)"])
        }
    }

    /// The caller pressed a key: `0` transfers to a person when transfers are on; other keys go to the model.
    private func keyPressed(_ digit: String) async {
        let pressed = state.withLock { state -> ([CallStateMachine.Action], StartedCall)? in
            // Also while a lost session is replaced: `0` needs no session, and a note for the model is dropped.
            guard !state.phase.isOver, let call = state.call else { return nil }
            let actions = state.machine?.keyPressed(digit) ?? []
            return actions.isEmpty ? nil : (actions, call)
        }
        guard let (actions, call) = pressed else { return }
        await performQuietly(actions, call: call)
    }

    /// Twilio echoed a mark: the audio before it has played, and a pending hang-up may go ahead.
    private func markEchoed(_ name: String) async {
        let now = ContinuousClock.now
        let (actions, call) = state.withLock {
            ($0.machine?.markEchoed(name, at: now) ?? [], $0.call)
        }
        guard !actions.isEmpty, let call else { return }
        await performQuietly(actions, call: call)
    }
}
