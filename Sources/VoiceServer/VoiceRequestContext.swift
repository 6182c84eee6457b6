import Hummingbird
import HummingbirdWebSocket
import NIOCore
import TwilioMedia
import TwilioWebhooks
import UpgradeRefusals

/// The request context of every route: Hummingbird's core storage, the WebSocket upgrade slot, and the Twilio
/// parameters that ``TwilioWebhookAuthenticator`` decoded and checked.
package struct VoiceRequestContext: TwilioWebhookRequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let webSocket: WebSocketHandlerReference<VoiceRequestContext>
    /// The webhook's fields: the form body of a `POST`, the query of a `GET`.
    package var twilioParameters: FormParameters
    /// The request's connection: a media stream's call writes its frames straight onto it. Weak: Hummingbird's
    /// WebSocket handler reference keeps a copy of the context for as long as it lives, and a strong reference here
    /// kept every media stream's socket and its buffers with it (`bench --churn` grew 6 MiB per 1,000 calls).
    package weak let channel: (any Channel)?
    /// The event loop of the request's connection: a media stream's call runs its tasks on it.
    package let eventLoop: any EventLoop
    /// Whether the connection comes from this machine; `false` when the peer is unknown.
    package let isFromLoopback: Bool
    package let remoteAddress: SocketAddress?
    /// Identifies the request's connection, for ``UpgradeRefusals``.
    package let connectionID: ObjectIdentifier

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.eventLoop = source.channel.eventLoop
        self.remoteAddress = source.channel.remoteAddress
        self.connectionID = ObjectIdentifier(source.channel)
        self.isFromLoopback = source.channel.remoteAddress?.isLoopback ?? false
        self.webSocket = .init()
        self.twilioParameters = FormParameters()
    }
}
