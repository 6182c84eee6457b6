import NIOCore
import NIOWebSocket
import WebSocketFrames

/// Sends client events on an open session. Safe to use from several tasks; each event is one text frame, written
/// straight onto the socket from its event loop (``WebSocketTextWriter``).
package struct RealtimeEventWriter: Sendable {
    let writer: WebSocketTextWriter

    package func send(_ event: RealtimeClientEvent) async throws {
        try await writer.write(event.jsonText)
    }

    /// Whether ``sendNow(_:)`` would send: on the socket's event loop, open, and under its high-water mark.
    package var canSendNow: Bool { writer.canWriteNow }

    /// Sends `event` at once from the socket's event loop, with no task in between; `false` (nothing sent) when
    /// ``canSendNow`` is not so.
    @discardableResult
    package func sendNow(_ event: RealtimeClientEvent) -> Bool {
        writer.writeNow(event.jsonText)
    }

    /// Closes the session's socket normally; its events end once the service answers the close (or after
    /// ``RealtimeConnector/closeTimeout``, when the socket is dropped).
    package func close() async throws {
        let channel = writer.channel
        guard channel.isActive else { return }
        let limit = channel.eventLoop.scheduleTask(in: RealtimeConnector.closeTimeout) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in limit.cancel() }
        try await writer.writeClose(.normalClosure)
    }

    /// Closes the socket normally and waits until it is closed (at most ``RealtimeConnector/closeTimeout``).
    func closeAndWait() async {
        try? await close()
        try? await writer.channel.closeFuture.get()
    }
}
