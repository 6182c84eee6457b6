import AsyncDeadline
import CoreMetrics
import Foundation
import Logging
import RealtimeAPI
import Synchronization
import TwilioMedia

/// One call, from Twilio's first message to the end: the media stream bridged to a Realtime session, with the
/// call's tools and call control.
///
/// ``run(inbound:)`` is the whole call, as one task group: a child reads the media stream (caller to assistant),
/// a child opens and reads the Realtime socket (assistant to caller), and a child runs each tool call and the
/// call-control timer. The first side to end ends the call: every other child is cancelled, the journal gets the
/// ending, and the media stream is closed. The decisions live in a ``CallStateMachine``, and where the call is in a
/// ``CallPhase``, both behind one lock; the I/O they ask for is done outside it.
package final class CallSession: Sendable {
    package struct Configuration: Sendable {
        package var businessName: String
        package var timeZone: TimeZone
        package var voice: String
        package var transcriptionModel: String?
        /// How long a tool call may take before the model is told it failed.
        package var toolDeadline: Duration
        /// `end_call` and `transfer_to_human`, offered beside the provider's tools where they can work.
        package var callControlTools: Set<CallControlTool>
        /// A media stream that has not sent a valid `start` by then is closed (Twilio sends it at once).
        package var startTimeout: Duration
        /// `MAX_CALL_MINUTES`: then the assistant is asked to wrap up, and a minute later the call is hung up.
        package var maxCallDuration: Duration?
        /// `SILENCE_SECONDS`: a caller silent this long after the assistant finished is asked if they are still
        /// there; after a second silence, told goodbye; after a third, hung up on.
        package var silenceTimeout: Duration?
        /// How the call reaches the Realtime service: retries, their budget, the limit on each upgrade.
        package var retryPolicy: RealtimeRetryPolicy
        /// `REALTIME_SESSION_MAX_SECONDS`: a session is rolled over this long after it opened (earlier if the
        /// service says it ends sooner), at the next turn boundary. `nil` never rolls over.
        package var sessionMaxDuration: Duration?
        /// `RECORD_CALLS`: the assistant discloses the recording first.
        package var recorded: Bool

        package init(
            businessName: String,
            timeZone: TimeZone,
            voice: String,
            transcriptionModel: String?,
            toolDeadline: Duration,
            callControlTools: Set<CallControlTool> = [],
            startTimeout: Duration = .seconds(5),
            maxCallDuration: Duration? = nil,
            silenceTimeout: Duration? = nil,
            retryPolicy: RealtimeRetryPolicy = .standard,
            sessionMaxDuration: Duration? = .seconds(3300),
            recorded: Bool = false
        ) {
            self.businessName = businessName
            self.timeZone = timeZone
            self.voice = voice
            self.transcriptionModel = transcriptionModel
            self.toolDeadline = toolDeadline
            self.callControlTools = callControlTools
            self.startTimeout = startTimeout
            self.maxCallDuration = maxCallDuration
            self.silenceTimeout = silenceTimeout
            self.retryPolicy = retryPolicy
            self.sessionMaxDuration = sessionMaxDuration
            self.recorded = recorded
        }
    }

    /// Caller audio that arrives while a Realtime socket is opening (the first, or one replacing a lost session) is
    /// kept, up to this many frames (3 s of 20 ms frames); older frames are dropped beyond it.
    package static let maximumBufferedFrames = 150

    /// The call once Twilio's `start` has come: what every part of it needs to know.
    struct StartedCall: Sendable {
        let start: TwilioInboundMessage.Start
        let callerNumber: String?
        let callerNumberVerified: Bool
        let journal: (any CallJournal)?
        /// Carries `call_sid` and `stream_sid`.
        let logger: Logger
    }

    /// Work for the call's task group, asked for by its children.
    enum Work: Sendable {
        /// The call started: open its Realtime session, and keep one open until the call ends.
        case converse(StartedCall)
        /// Replace the session before its time is up.
        case rollOver(StartedCall)
        case runTool(CallStateMachine.ToolInvocation, StartedCall)
        /// Check on a pending hang-up or transfer after `delay`, unless a newer check replaced this one.
        case checkCallControl(after: Duration, generation: Int, StartedCall)
        /// Check after `delay` that the service took session `session`'s configuration.
        case checkSession(after: Duration, session: Int, StartedCall)
        /// Watch for a silent caller and the call's time limit while the session is open.
        case watchAttention(StartedCall)
        /// The server is shutting down: hang up after `delay` if the goodbye has not ended the call.
        case hangUpForShutdown(after: Duration, StartedCall)
        /// The call is over.
        case end
    }

    struct State: Sendable {
        var phase = CallPhase.waitingForStart
        var call: StartedCall?
        var machine: CallStateMachine?
        var latency = ResponseLatency()
        /// The newest call-control check; an older one that wakes up does nothing.
        var callControlCheck = 0
        /// Why the media stream failed, when it did: the session's owner closes the stream with it.
        var streamFault: (any Error)?
        /// The session closed the media stream (it does so once).
        var streamClosed = false
        /// The number of the current Realtime session, from 1; events of any other are not relayed.
        var session = 0
        /// When the current session is due for rollover.
        var rolloverAt: ContinuousClock.Instant?
        var rollingOver = false
        /// When recent lost sessions were replaced.
        var replacements: [ContinuousClock.Instant] = []
        /// The host was told the call's assistant session started; it is told it ended when the call is over.
        var assistantCounted = false
        /// The server asked the call to end because it is shutting down: however it ends now, the server ended it.
        var closedByServer = false
        /// The highest sequence number among the caller's messages handled so far, by ``readTwilio(_:)`` or
        /// straight from the socket (``relayCallerAudioDirectly(_:arrivedAt:)``).
        var lastSequence = 0
        /// The session whose kept audio has been sent: the caller's audio may go straight to it.
        var flushedSession = 0
        /// Caller frames relayed straight from the socket.
        var directFrames = 0
    }

    let configuration: Configuration
    /// `nil` when no API key is configured: the call ends at once, so the caller hears the apology.
    let connector: RealtimeConnector?
    let tools: any ToolProvider
    let callController: (any CallController)?
    let host: any CallHost
    let twilio: any TwilioStreamWriter
    let metrics: CallMetrics
    let logger: Logger
    let state = Mutex(State())
    private let work: AsyncStream<Work>
    let workQueue: AsyncStream<Work>.Continuation

    /// - Parameters:
    ///   - connector: `nil` when no API key is configured: the call ends at once, so the caller hears the apology.
    ///   - callController: hangs up and transfers through Twilio's REST API; `nil` without credentials, when
    ///     `end_call` only closes the stream.
    ///   - host: told when the call starts and ends; gives the call its journal.
    package init(
        configuration: Configuration,
        connector: RealtimeConnector?,
        tools: any ToolProvider,
        callController: (any CallController)? = nil,
        host: any CallHost,
        twilio: any TwilioStreamWriter,
        metrics: CallMetrics = .disabled,
        logger: Logger
    ) {
        self.configuration = configuration
        self.connector = connector
        self.tools = tools
        self.callController = callController
        self.host = host
        self.twilio = twilio
        self.metrics = metrics
        self.logger = logger
        (work, workQueue) = AsyncStream.makeStream(of: Work.self)
    }

    /// Runs the whole call from the media stream's messages; returns once every part of it has stopped and the media
    /// stream is closed. Call it once.
    ///
    /// If `inbound` throws, the call ends and the error is rethrown without closing the stream, so that the owner
    /// closes it with a reason.
    package func run(inbound: some AsyncSequence<TwilioArrival, any Error> & Sendable) async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.readTwilio(inbound) }
            group.addTask { await self.refuseUnlessStarted(within: self.configuration.startTimeout) }
            for await item in work {
                switch item {
                case .converse(let call):
                    group.addTask { await self.converse(call) }
                case .rollOver(let call):
                    group.addTask { await self.rollOver(call) }
                case .runTool(let invocation, let call):
                    group.addTask { await self.runTool(invocation, call: call) }
                case .checkCallControl(let delay, let generation, let call):
                    group.addTask { await self.checkCallControl(after: delay, generation: generation, call: call) }
                case .checkSession(let delay, let session, let call):
                    group.addTask { await self.checkSession(after: delay, session: session, call: call) }
                case .watchAttention(let call):
                    group.addTask { await self.watchAttention(call: call) }
                case .hangUpForShutdown(let delay, let call):
                    group.addTask { await self.hangUpForShutdown(after: delay, call: call) }
                case .end:
                    group.cancelAll()
                }
            }
        }
        let (ending, call, fault, counted) = state.withLock {
            state -> (CallEnding, StartedCall?, (any Error)?, Bool) in
            var ending: CallEnding =
                switch state.phase {
                case .ending(let ending), .finished(let ending): ending
                case .waitingForStart, .connecting, .open: .callerHungUp
                }
            if state.closedByServer, ending == .assistantHungUp || ending == .callerHungUp { ending = .endedByServer }
            state.phase = .finished(ending)
            return (ending, state.call, state.streamFault, state.assistantCounted)
        }
        if counted { await host.realtimeSessionEnded() }
        // Written even though the call's task may be cancelled: the outcome must not be lost with it. The journal
        // may still be writing earlier events to a slow database: the line is freed and the stream closed first,
        // and the call's task waits for the record to be whole only after that.
        let journal = call?.journal
        if let call {
            // Bounded: a booking system that does not answer does not hold the line.
            let booked = await Task { await self.finishWithTools(call) }.value
            if let journal {
                await Task {
                    for jobID in booked { await journal.record(.jobBooked(jobID)) }
                    await journal.record(.ended(ending))
                }.value
            }
            await host.callEnded(call.start)
        }
        if let fault {
            await Task { await journal?.flush() }.value
            throw fault
        }
        await closeTwilio()
        await Task { await journal?.flush() }.value
    }

    /// How long the end of the call waits for the tools to finish what it left undone.
    static let finishDeadline: Duration = .seconds(5)

    /// Tells the tools the call is over, waiting up to ``finishDeadline`` for the jobs the call booked (what the
    /// tools do meanwhile, such as queueing a confirmation, goes on past it).
    private func finishWithTools(_ call: StartedCall) async -> [String] {
        let tools = self.tools
        let finished = await Deadline.run(Self.finishDeadline, overrun: .letRun) {
            await tools.callEnded(callSid: call.start.callSid, callerNumber: call.callerNumber)
        }
        guard case .success(let booked)? = finished else {
            call.logger.warning("The booking system did not finish the call in time")
            return []
        }
        return booked
    }

    /// Ends the call for `ending`, unless it is already ending. With `closingTwilio`, the media stream is closed
    /// at once, so that Twilio moves on to the TwiML after `<Connect>` (the apology) or the caller hears silence
    /// end; the task group then stops every part.
    func end(_ ending: CallEnding, closingTwilio: Bool) async {
        guard state.withLock({ $0.phase.end(ending) }) else { return }
        // Closed before the parts are cancelled: the part ending the call may be one of them.
        if closingTwilio { await closeTwilio() }
        workQueue.yield(.end)
        workQueue.finish()
    }

    /// A stream that has not started by `limit` holds a connection and a task for nothing: it is refused.
    private func refuseUnlessStarted(within limit: Duration) async {
        try? await Task.sleep(for: limit)
        guard !Task.isCancelled else { return }
        let refused = state.withLock { state -> Bool in
            guard case .waitingForStart = state.phase else { return false }
            state.streamFault = CallRefused(reason: "no start within \(limit)")
            return true
        }
        if refused { await end(.callerHungUp, closingTwilio: false) }
    }

    /// Closes the media stream, once.
    private func closeTwilio() async {
        let closed = state.withLock { state in
            defer { state.streamClosed = true }
            return state.streamClosed
        }
        if !closed { await twilio.close() }
    }

    /// Asks the call's task group to run `item`; dropped once the call is over.
    func enqueue(_ item: Work) {
        workQueue.yield(item)
    }
}
