import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import VoiceServer

/// What a media stream's connection leaves behind once it is gone: nothing. Hummingbird keeps a copy of a
/// WebSocket request's context for as long as its handler reference lives, so the context must not keep the
/// connection; with a strong reference every call's socket and its receive buffers stayed (`bench --churn` grew
/// 6 MiB per 1,000 calls).
@Suite struct MediaStreamLifetimeTests {
    @Test func theRequestContextDoesNotKeepItsConnection() throws {
        weak var released: EmbeddedChannel?
        var context: VoiceRequestContext?
        do {
            let channel = EmbeddedChannel()
            released = channel
            context = VoiceRequestContext(
                source: ApplicationRequestContextSource(channel: channel, logger: Logger(label: "test"))
            )
            #expect(context?.channel === channel)
            _ = try channel.finish(acceptAlreadyClosed: true)
        }
        #expect(released == nil)
        #expect(context?.channel == nil)
        // The rest of what the context read from the connection stays.
        #expect(context?.isFromLoopback == false)
    }
}
