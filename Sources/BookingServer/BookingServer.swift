import Booking
import BookingMCP
import Hummingbird
import Logging
import MCP
import NIOCore
import SQLStorage
import ServerConfiguration
import TwilioMedia
import TwilioWebhooks

/// The booking system on its own (`voice-server booking-mcp --port N`), assembled in one place: its database, its
/// MCP endpoint at `/mcp`, the delivery reports of its texts at `/sms/status` (it owns the outbox), and `/health`.
/// The database, the endpoint's sessions and the text sender are services of the application, so they start with
/// it and close after the server has stopped; migrations run before it is returned.
package struct BookingServer: Sendable {
    /// What tests and benchmarks change.
    package struct Overrides: Sendable {
        /// Replaces the configured fleet and rules (the benchmark uses a large fleet).
        package var policy: BookingPolicy?
        /// For PostgreSQL: a schema to keep the tables in.
        package var schema: String?
        package var onServerRunning: @Sendable (any Channel) async -> Void = { _ in }

        package init() {}
    }

    package let system: BookingSystem
    package let application: Application<RouterResponder<BookingRequestContext>>

    package static func build(
        configuration: BookingServerConfiguration,
        host: String,
        port: Int,
        overrides: Overrides = Overrides(),
        logger: Logger
    ) async throws -> BookingServer {
        // The whole booking system answers at /mcp: off this machine only with a token.
        guard configuration.mcpServerToken != nil || isLoopback(host: host) else {
            throw ConfigurationError(
                variable: ConfigurationVariable.mcpServerToken.name,
                problem: "is required when booking-mcp listens on \(host): every booking would be open to anyone"
            )
        }
        let storage = try await SQLStorage.open(configuration.database, schema: overrides.schema, logger: logger)
        let system = BookingSystem(
            configuration: configuration,
            storage: storage,
            policy: overrides.policy,
            logger: logger
        )
        do {
            try await system.prepare()
        } catch {
            await storage.close()
            throw error
        }
        logger.info("Booking system ready", metadata: ["database": "\(configuration.database.kind)"])

        let router = Router(context: BookingRequestContext.self)
        router.get("health") { _, _ in ["status": "ok", "version": ServerVersion.current] }
        system.routes.addRoutes(to: router)
        SMSStatusController(store: system.store).addRoutes(
            to: router,
            authenticator: TwilioWebhookAuthenticator(
                validator: { [validator = configuration.twilio.signatureValidator] in validator },
                urlResolver: PublicURLResolver(publicBaseURL: configuration.publicBaseURL),
                limiter: BadSignatureLimiter()
            )
        )
        let application = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: HTTPServerTimeouts.idle)),
            configuration: .init(
                address: .hostname(host, port: port),
                serverName: "booking-mcp/\(ServerVersion.current)"
            ),
            // Stopped in the reverse order: the server, then the text sender, the MCP sessions, the database.
            services: [storage, system.endpoint, system.sender],
            onServerRunning: overrides.onServerRunning,
            logger: logger
        )
        return BookingServer(system: system, application: application)
    }
}

package enum HTTPServerTimeouts {
    /// A keep-alive connection with no request in flight is closed after this long. Without it, an MCP client's
    /// pooled idle connection held a graceful shutdown up until the client's own idle timeout (60 s by default).
    package static let idle = TimeAmount.seconds(30)
}

extension BookingServer {
    /// Speaks MCP over standard input and output (for desktop MCP clients) until the client goes away. Texts are
    /// sent at once by the tool that asks; nothing retries them in this mode.
    package static func runOverStandardIO(configuration: BookingServerConfiguration, logger: Logger) async throws {
        let storage = try await SQLStorage.open(configuration.database, logger: logger)
        do {
            let system = BookingSystem(configuration: configuration, storage: storage, logger: logger)
            try await system.prepare()
            let server = await BookingMCPEndpoint.makeServer(toolbox: system.endpoint.toolbox)
            try await server.start(transport: StdioTransport(logger: logger))
            await server.waitUntilCompleted()
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
    }
}
