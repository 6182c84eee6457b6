import CallBridge
import CallRecords
import Logging
import TwilioMedia

/// What the server does at the edges of each call: counts it in the ``CallRegistry``, shows it on the
/// ``LiveCallBoard``, and gives it a journal that feeds the metrics and, when records are kept, the call record.
struct ServerCallHost: CallHost {
    let callRegistry: CallRegistry
    /// Where each call's record is written; `nil` keeps no records.
    let callRecords: (any CallRecordStore)?
    let metrics: ServerMetrics
    let tokenPrices: TokenPrices
    let liveCalls: LiveCallBoard
    /// `RECORD_CALLS`: records each call once its stream starts; `nil` records nothing.
    let recorder: CallRecorder?

    func callStarted(_ start: TwilioInboundMessage.Start, logger: Logger) async -> CallAdmission? {
        guard await callRegistry.streamStarted(callSid: start.callSid, streamSid: start.streamSid) else { return nil }
        let caller = start.customParameters[VoiceWebhookController.StreamParameter.from]
        liveCalls.started(callSid: start.callSid, caller: caller)
        if let recorder {
            // Not awaited: the call's greeting must not wait for Twilio.
            Task { await recorder.start(callSid: start.callSid, logger: logger) }
        }
        var journals: [any CallJournal] = [
            CallMetricsJournal(metrics: metrics, prices: tokenPrices),
            LiveCallBoard.Journal(board: liveCalls, callSid: start.callSid),
        ]
        if let callRecords {
            journals.append(
                CallRecordJournal(store: callRecords, callSid: start.callSid, prices: tokenPrices, logger: logger)
            )
        }
        return CallAdmission(
            callerNumber: caller,
            // Bound by the stream token like every parameter: a caller cannot claim an attestation.
            callerNumberVerified: start.customParameters[VoiceWebhookController.StreamParameter.stirVerstat]
                == VoiceWebhookController.fullAttestation,
            journal: CallJournals(journals: journals)
        )
    }

    func realtimeSessionStarted() async {
        await callRegistry.realtimeSessionStarted()
    }

    func realtimeSessionEnded() async {
        await callRegistry.realtimeSessionEnded()
    }

    func callEnded(_ start: TwilioInboundMessage.Start) async {
        liveCalls.ended(callSid: start.callSid)
        await callRegistry.streamEnded(callSid: start.callSid)
    }
}
