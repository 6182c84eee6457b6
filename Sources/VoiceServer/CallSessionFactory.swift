import BookingServer
import CallBridge
import Foundation
import Logging
import NIOCore
import RealtimeAPI
import ServerConfiguration
import TwilioMedia

/// Makes each call's ``CallSession`` from the server's configuration, tools and host.
package struct CallSessionFactory: Sendable {
    let configuration: CallSession.Configuration
    let realtimeURL: URL
    let model: String
    /// Holds `OPENAI_API_KEY` as last read: each call connects with the key held when it starts; without one, the
    /// call ends at once with the spoken apology.
    let secrets: SecretStore
    let tools: any ToolProvider
    /// `nil` without Twilio REST credentials: `end_call` then only closes the stream, and transfers are off.
    let callController: (any CallController)?
    let host: ServerCallHost
    var metrics: CallMetrics { host.metrics.calls }

    init(
        serverConfiguration: VoiceServerConfiguration,
        secrets: SecretStore,
        tools: any ToolProvider,
        callController: (any CallController)?,
        host: ServerCallHost,
        retryPolicy: RealtimeRetryPolicy
    ) {
        self.host = host
        var callControl: Set<CallControlTool> = [.endCall]
        if callController != nil, serverConfiguration.transferNumber != nil { callControl.insert(.transferToHuman) }
        self.configuration = CallSession.Configuration(
            businessName: serverConfiguration.booking.businessName,
            timeZone: serverConfiguration.booking.businessTimeZone,
            voice: serverConfiguration.openAIVoice,
            transcriptionModel: serverConfiguration.openAITranscriptionModel,
            toolDeadline: serverConfiguration.toolDeadline,
            callControlTools: callControl,
            maxCallDuration: serverConfiguration.maxCallDuration,
            silenceTimeout: serverConfiguration.silenceTimeout,
            retryPolicy: retryPolicy,
            sessionMaxDuration: serverConfiguration.realtimeSessionMaxDuration,
            recorded: serverConfiguration.recordCalls
        )
        self.callController = callController
        self.realtimeURL = serverConfiguration.openAIRealtimeURL
        self.model = serverConfiguration.openAIModel
        self.secrets = secrets
        self.tools = tools
    }

    /// A session for the call on this media stream. Its Realtime socket opens on `eventLoop`, the stream's own.
    func makeSession(twilio: any TwilioStreamWriter, eventLoop: any EventLoop, logger: Logger) -> CallSession {
        CallSession(
            configuration: configuration,
            connector: secrets[.openAIAPIKey].map {
                RealtimeConnector(baseURL: realtimeURL, model: model, apiKey: $0.value).on(eventLoop)
            },
            tools: tools,
            callController: callController,
            host: host,
            twilio: twilio,
            metrics: metrics,
            logger: logger
        )
    }
}
