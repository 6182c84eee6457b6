import Hummingbird
import NIOCore
import TwilioMedia
import TwilioWebhooks

/// The request context of the standalone booking server: Hummingbird's core storage and the Twilio parameters of a
/// delivery report.
package struct BookingRequestContext: TwilioWebhookRequestContext {
    package var coreContext: CoreRequestContextStorage
    package var twilioParameters: FormParameters
    package let isFromLoopback: Bool
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.isFromLoopback = source.channel.remoteAddress?.isLoopback ?? false
        self.twilioParameters = FormParameters()
    }
}
