import Booking
import BookingMCP
import BookingSQL
import Logging
import OutboxDelivery

/// The embedded booking system: its store (SQLite or PostgreSQL, from `DATABASE_URL`), its service and its MCP
/// endpoint. Opened once at start; migrations run then.
package struct BookingSystem: Sendable {
    package let store: SQLBookingStore
    package let service: BookingService
    package let endpoint: BookingMCPEndpoint
    package let routes: BookingMCPRoutes
    /// Sends the confirmations; run it as a service so that retries happen.
    package let sender: OutboxSender

    /// - Parameters:
    ///   - policy: replaces the configured fleet and rules (the benchmark uses a large fleet).
    ///   - schema: a PostgreSQL schema to keep the tables in.
    ///   - smsStatusCallback: where Twilio reports delivery (`PUBLIC_BASE_URL/sms/status` on the voice server).
    package static func open(
        configuration: VoiceServerConfiguration,
        policy: BookingPolicy? = nil,
        schema: String? = nil,
        smsStatusCallback: String? = nil,
        logger: Logger
    ) async throws -> BookingSystem {
        let store: SQLBookingStore
        switch configuration.database {
        case .sqlite(let path):
            store = try await SQLBookingStore.sqlite(path: path, logger: logger)
        case .postgres(let url):
            store = try await SQLBookingStore.postgres(url: url.value, schema: schema, logger: logger)
        }
        let policy = policy ?? configuration.bookingPolicy
        do {
            try await store.prepare(crews: policy.crews, trucks: policy.trucks)
        } catch {
            await store.close()
            throw error
        }
        let sender = OutboxSender(
            store: store,
            twilio: configuration.twilioPhoneNumber == nil ? nil : configuration.twilioRESTClient,
            configuration: OutboxSender.Configuration(
                from: configuration.twilioPhoneNumber ?? "",
                statusCallback: smsStatusCallback
            ),
            logger: logger
        )
        let service = BookingService(
            store: store,
            policy: policy,
            businessName: configuration.businessName,
            delivery: sender
        )
        let endpoint = BookingMCPEndpoint(toolbox: BookingToolbox(service: service, logger: logger), logger: logger)
        return BookingSystem(
            store: store,
            service: service,
            endpoint: endpoint,
            routes: BookingMCPRoutes(endpoint: endpoint, token: configuration.mcpServerToken?.value),
            sender: sender
        )
    }

    package func close() async {
        await endpoint.closeAll()
        await store.close()
    }
}
