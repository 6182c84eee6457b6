import BookingServer
import CallBridge
import CallRecords
import Logging
import NIOCore
import RealtimeAPI
import ServerConfiguration
import TwilioMedia

/// Makes each call's ``CallSession`` from the server's configuration and tools.
package struct CallSessionFactory: Sendable {
    let configuration: CallSession.Configuration
    /// `nil` without `OPENAI_API_KEY`: calls end at once with the spoken apology.
    let connector: RealtimeConnector?
    let tools: any ToolProvider
    /// `nil` without Twilio REST credentials: `end_call` then only closes the stream, and transfers are off.
    let callController: (any CallController)?
    /// Where each call's record is written; `nil` keeps no records.
    let callRecords: (any CallRecordStore)?
    let tokenPrices: TokenPrices
    let serverMetrics: ServerMetrics
    var metrics: CallMetrics { serverMetrics.calls }

    package init(
        serverConfiguration: VoiceServerConfiguration,
        tools: any ToolProvider,
        callController: (any CallController)?,
        callRecords: (any CallRecordStore)? = nil,
        metrics: ServerMetrics = ServerMetrics()
    ) {
        self.callRecords = callRecords
        self.serverMetrics = metrics
        self.tokenPrices = serverConfiguration.tokenPrices
        var callControl: Set<CallControlTool> = [.endCall]
        if callController != nil, serverConfiguration.transferNumber != nil { callControl.insert(.transferToHuman) }
        self.configuration = CallSession.Configuration(
            businessName: serverConfiguration.booking.businessName,
            timeZone: serverConfiguration.booking.businessTimeZone,
            voice: serverConfiguration.openAIVoice,
            transcriptionModel: serverConfiguration.openAITranscriptionModel,
            toolDeadline: serverConfiguration.toolDeadline,
            callControlTools: callControl
        )
        self.callController = callController
        self.connector = serverConfiguration.openAIAPIKey.map {
            RealtimeConnector(
                baseURL: serverConfiguration.openAIRealtimeURL,
                model: serverConfiguration.openAIModel,
                apiKey: $0.value
            )
        }
        self.tools = tools
    }

    func makeSession(
        start: TwilioInboundMessage.Start,
        callerNumber: String?,
        twilio: any TwilioStreamWriter,
        eventLoop: (any EventLoop)? = nil,
        logger: Logger
    ) -> CallSession {
        var journals: [any CallJournal] = [CallMetricsJournal(metrics: serverMetrics, prices: tokenPrices)]
        if let callRecords {
            journals.append(
                CallRecordJournal(store: callRecords, callSid: start.callSid, prices: tokenPrices, logger: logger)
            )
        }
        var connector = self.connector
        if let eventLoop { connector = connector?.on(eventLoop) }
        return CallSession(
            start: start,
            callerNumber: callerNumber,
            configuration: configuration,
            connector: connector,
            tools: tools,
            callController: callController,
            journal: CallJournals(journals: journals),
            twilio: twilio,
            metrics: metrics,
            logger: logger
        )
    }
}
