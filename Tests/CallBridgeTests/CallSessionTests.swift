import CallBridge
import Foundation
import Logging
import RealtimeAPI
import Synchronization
import Testing
import TwilioMedia

/// The life of a call without sockets: the media stream is an async sequence, Twilio's side a recording writer,
/// and the host a recorder. What must hold: the host sees a started call end exactly once, the journal gets one
/// ending, and the media stream is closed by the session unless the stream itself failed.
@Suite(.timeLimit(.minutes(1)))
struct CallSessionTests {
    final class Recorder: CallHost, CallJournal, TwilioStreamWriter {
        let events = Mutex<[String]>([])
        var log: [String] { events.withLock { $0 } }

        private func note(_ event: String) { events.withLock { $0.append(event) } }

        func callStarted(_ start: TwilioInboundMessage.Start, logger: Logger) async -> CallAdmission? {
            note("started \(start.callSid)")
            return CallAdmission(callerNumber: start.customParameters["from"], journal: self)
        }
        func realtimeSessionStarted() async { note("realtime started") }
        func realtimeSessionEnded() async { note("realtime ended") }
        func callEnded(_ start: TwilioInboundMessage.Start) async { note("ended \(start.callSid)") }
        func record(_ entry: CallJournalEntry) async {
            if case .ended(let ending) = entry { note("journal \(ending)") }
        }
        func send(_ message: TwilioOutboundMessage) async throws { note("sent") }
        func close() async { note("closed") }
    }

    struct BrokenStream: Error {}

    static let configuration = CallSession.Configuration(
        businessName: "NYC Quick Movers",
        timeZone: TimeZone(identifier: "America/New_York")!,
        voice: "marin",
        transcriptionModel: nil,
        toolDeadline: .seconds(1)
    )

    static func start(callSid: String = "CA1") throws -> TwilioArrival {
        let message = try TwilioInboundMessage.decode(
            """
            {"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"accountSid":"AC1","callSid":"\(callSid)",\
            "streamSid":"MZ1","tracks":["inbound"],"customParameters":{"from":"+14155552671"},\
            "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}
            """
        )
        return TwilioArrival(message, arrivedAt: .now)
    }

    static func session(_ recorder: Recorder, startTimeout: Duration = .seconds(5)) -> CallSession {
        var configuration = configuration
        configuration.startTimeout = startTimeout
        return CallSession(
            configuration: configuration,
            connector: nil,
            tools: InMemoryToolProvider(),
            host: recorder,
            twilio: recorder,
            logger: Logger(label: "call-session-tests")
        )
    }

    /// Without an API key the call cannot reach the assistant: it ends as failed and the stream is closed, so
    /// Twilio plays the apology, while the caller's stream is still open.
    @Test func withoutTheAssistantTheCallFailsAndTheStreamIsClosed() async throws {
        let recorder = Recorder()
        let (inbound, twilio) = AsyncThrowingStream.makeStream(of: TwilioArrival.self)
        twilio.yield(try Self.start())
        try await Self.session(recorder).run(inbound: inbound)
        twilio.finish()
        #expect(
            recorder.log == [
                "started CA1", "realtime started", "closed", "realtime ended", "journal failed", "ended CA1",
            ]
        )
    }

    /// A stream that breaks ends the call, and its error reaches the owner, who closes the stream with a reason:
    /// the session does not close it first.
    @Test func aBrokenStreamEndsTheCallAndItsErrorReachesTheOwner() async throws {
        let recorder = Recorder()
        let (inbound, twilio) = AsyncThrowingStream.makeStream(of: TwilioArrival.self)
        twilio.finish(throwing: BrokenStream())
        await #expect(throws: BrokenStream.self) { try await Self.session(recorder).run(inbound: inbound) }
        #expect(recorder.log.isEmpty)
    }

    /// A stream that closes before `start` was never a call: nothing is recorded, and the stream is closed.
    @Test func aStreamThatEndsBeforeStartIsClosedAndNeverCounted() async throws {
        let recorder = Recorder()
        let (inbound, twilio) = AsyncThrowingStream.makeStream(of: TwilioArrival.self)
        twilio.finish()
        try await Self.session(recorder).run(inbound: inbound)
        #expect(recorder.log == ["closed"])
    }

    /// A stream that sends no `start` in time is refused: the owner gets the reason and closes it; it was never a
    /// call, so the host hears nothing of it.
    @Test func aStreamWithoutStartInTimeIsRefused() async throws {
        let recorder = Recorder()
        let (inbound, twilio) = AsyncThrowingStream.makeStream(of: TwilioArrival.self)
        let error = await #expect(throws: CallRefused.self) {
            try await Self.session(recorder, startTimeout: .milliseconds(50)).run(inbound: inbound)
        }
        twilio.finish()
        #expect(error?.reason.contains("no start") == true)
        #expect(recorder.log.isEmpty)
    }
}

/// Realtime errors are classified in one place: fatal, retry, ignore.
struct RealtimeErrorDispositionTests {
    @Test func errorsAreClassifiedOnce() {
        func error(_ type: String, _ code: String?) -> RealtimeError {
            RealtimeError(type: type, code: code, message: "m")
        }
        #expect(error("invalid_request_error", "invalid_api_key").disposition == .fatal)
        #expect(error("insufficient_quota", "insufficient_quota").disposition == .fatal)
        #expect(error("invalid_request_error", "session_expired").disposition == .retry)
        #expect(error("server_error", nil).disposition == .retry)
        #expect(error("invalid_request_error", "response_cancel_not_active").disposition == .ignore)
    }
}
