import Booking
import BookingMCP
import BookingSQL
import Logging
import MCP
import OutboxDelivery
import SQLStorage
import ServerConfiguration

/// The booking system: its store, its service, its MCP endpoint and the sender of its texts. Built on a database
/// its opener owns; ``prepare()`` runs its migrations and writes the fleet.
package struct BookingSystem: Sendable {
    package let store: SQLBookingStore
    package let service: BookingService
    package let endpoint: BookingMCPEndpoint
    package let routes: BookingMCPRoutes
    /// Sends the confirmations; run it as a service so that retries happen.
    package let sender: OutboxSender
    private let policy: BookingPolicy

    /// - Parameters:
    ///   - storage: the database the booking tables live in (it may hold the call records too).
    ///   - policy: replaces the configured fleet and rules (the benchmark uses a large fleet).
    ///   - secrets: where the texts' Twilio auth token is read at each send (reloaded on `SIGHUP`); without it, the
    ///     token read at start is used.
    ///   - wrapServiceStore: wraps the store the tools' service uses (tests slow it down).
    package init(
        configuration: BookingServerConfiguration,
        storage: SQLStorage,
        policy: BookingPolicy? = nil,
        secrets: SecretStore? = nil,
        wrapServiceStore: @Sendable (any BookingStore) -> any BookingStore = { $0 },
        logger: Logger
    ) {
        let store = SQLBookingStore(storage: storage, logger: logger)
        let policy = policy ?? configuration.policy
        let twilio = secrets.map { configuration.twilio.restClient(secrets: $0) } ?? configuration.twilio.restClient
        let sender = OutboxSender(
            store: store,
            twilio: configuration.twilio.phoneNumber == nil ? nil : twilio,
            configuration: OutboxSender.Configuration(
                from: configuration.twilio.phoneNumber ?? "",
                statusCallback: configuration.smsStatusCallback
            ),
            logger: logger
        )
        let service = BookingService(
            store: wrapServiceStore(store),
            policy: policy,
            businessName: configuration.businessName,
            delivery: sender
        )
        let endpoint = BookingMCPEndpoint(toolbox: BookingToolbox(service: service, logger: logger), logger: logger)
        self.store = store
        self.service = service
        self.endpoint = endpoint
        self.routes = BookingMCPRoutes(endpoint: endpoint, token: configuration.mcpServerToken?.value)
        self.sender = sender
        self.policy = policy
    }

    /// Creates or updates the tables and writes the fleet. Run once, before the first request.
    package func prepare() async throws {
        try await store.prepare(crews: policy.crews, trucks: policy.trucks)
    }

    /// A client transport connected in memory to a new MCP server over this system's tools: the same protocol as a
    /// remote server, without a network hop or a token.
    package func inMemoryTransport() async throws -> any Transport {
        let (clientSide, serverSide) = await InMemoryTransport.createConnectedPair()
        let server = await BookingMCPEndpoint.makeServer(toolbox: endpoint.toolbox)
        try await server.start(transport: serverSide)
        return clientSide
    }
}

extension SQLStorage {
    /// Opens the database `location` names.
    ///
    /// - Parameter schema: for PostgreSQL, a schema to keep the tables in (tests and benchmarks use a fresh one).
    package static func open(
        _ location: DatabaseLocation,
        schema: String? = nil,
        logger: Logger
    ) async throws
        -> SQLStorage
    {
        switch location {
        case .sqlite(let path):
            try await .sqlite(path: path, logger: logger)
        case .postgres(let url):
            try await .postgres(url: url.value, schema: schema, logger: logger)
        }
    }
}
