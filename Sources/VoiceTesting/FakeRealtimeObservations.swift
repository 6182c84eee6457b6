import RealtimeAPI

/// What the fake Realtime service saw and did, across all its connections; tests assert on it.
package struct FakeRealtimeObservations: Sendable {
    package struct Truncation: Sendable, Equatable {
        package var itemID: String
        package var audioEndMilliseconds: Int
        /// Milliseconds of that item's audio the service had sent when the truncate arrived.
        package var sentMilliseconds: Int
        /// `false` when the service answered with an error (past the end, or not an assistant item).
        package var accepted: Bool
        package var at: ContinuousClock.Instant
    }

    package struct FunctionOutput: Sendable, Equatable {
        package var callID: String
        package var output: String

        package init(callID: String, output: String) {
            self.callID = callID
            self.output = output
        }
    }

    /// One session (connection) of the service.
    package struct Session: Sendable {
        /// The `type` of each client event but audio appends, in order.
        package var eventTypes: [String] = []
        /// Every item the client created, as the service stored it (with its `id`), in order.
        package var items: [JSONValue] = []
    }

    /// Upgrade requests, refused or not.
    package var upgradeAttempts = 0
    /// Every session, in the order they opened.
    package var sessions: [Session] = []
    package var connections = 0
    package var activeConnections = 0
    package var refusedConnections = 0
    /// The API key each accepted connection presented, in order.
    package var apiKeys: [String] = []
    /// The `model` query parameter of each connection.
    package var models: [String] = []
    /// The `type` of every client event received, in order.
    package var clientEventTypes: [String] = []
    /// Client events that were not valid GA events, with what was wrong.
    package var violations: [String] = []
    package var sessionUpdates: [JSONValue] = []
    /// `response.create` events received, and how many of them found a response already active.
    package var responseCreates: [JSONValue] = []
    package var activeResponseConflicts = 0
    package var truncations: [Truncation] = []
    package var functionOutputs: [FunctionOutput] = []
    /// The text of every user message item the client created, in order.
    package var userTexts: [String] = []
    /// Function calls the service asked for, by call ID.
    package var functionCalls: [String: ScriptedFunctionCall] = [:]
    package var responsesCancelled = 0
    package var audioReceivedBytes = 0
    /// Assistant audio sent, by item, in order: base64 deltas exactly as sent.
    package var sentDeltas: [String: [String]] = [:]
    /// Assistant audio items in the order they were created.
    package var assistantItems: [String] = []
    package var speechStarts: [ContinuousClock.Instant] = []
    /// When each `response.output_audio.delta` was sent, by its payload (for relay latency).
    package var deltaSentAt: [String: ContinuousClock.Instant] = [:]

    package init() {}
}
