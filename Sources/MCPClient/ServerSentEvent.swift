/// One event of a `text/event-stream`, as the HTML Living Standard's parser dispatches it.
package struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field, or `message` when there was none.
    package var type: String
    /// The `data:` lines, joined with line feeds.
    package var data: String
    /// The last event id seen on the stream when this event was dispatched (ids carry over to later events).
    package var lastEventID: String

    package init(type: String = "message", data: String, lastEventID: String = "") {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }
}
