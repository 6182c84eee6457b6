import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Gives a refused WebSocket upgrade the status its refusal chose (`403`, `429`) instead of the `400` that
/// hummingbird-websocket writes for every refused upgrade, which tells a client its request was malformed rather
/// than unauthorised.
///
/// The route that refuses records the status against its connection (``refuse(_:status:)``); Hummingbird then
/// installs ``rewriter()`` on that connection's HTTP pipeline and writes its `400`, which the rewriter turns into
/// the recorded status. Other responses, and `400`s of connections with no refusal recorded, pass unchanged.
package final class UpgradeRefusals: Sendable {
    private let statuses = Mutex<[ObjectIdentifier: HTTPResponse.Status]>([:])

    package init() {}

    /// Records the status the upgrade on `connection` is refused with.
    package func refuse(_ connection: ObjectIdentifier, status: HTTPResponse.Status) {
        statuses.withLock { $0[connection] = status }
    }

    /// The handler Hummingbird adds to each HTTP/1 connection.
    package func rewriter() -> some RemovableChannelHandler {
        Rewriter(refusals: self)
    }

    fileprivate func take(_ connection: ObjectIdentifier) -> HTTPResponse.Status? {
        statuses.withLock { $0.removeValue(forKey: connection) }
    }

    private final class Rewriter: ChannelOutboundHandler, RemovableChannelHandler {
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        let refusals: UpgradeRefusals

        init(refusals: UpgradeRefusals) {
            self.refusals = refusals
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            var part = unwrapOutboundIn(data)
            if case .head(var head) = part, head.status == .badRequest,
                let status = refusals.take(ObjectIdentifier(context.channel))
            {
                head.status = status
                part = .head(head)
            }
            context.write(wrapOutboundOut(part), promise: promise)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            _ = refusals.take(ObjectIdentifier(context.channel))
        }
    }
}
