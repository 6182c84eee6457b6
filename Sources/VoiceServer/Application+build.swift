import Booking
import BookingMCP
import CallBridge
import CallRecords
import Hummingbird
import HummingbirdWebSocket
import Logging
import MCPClient
import NIOCore
import TwilioMedia
import TwilioREST

/// Builds the server: routes, middleware and shared state. `voice-server serve` runs it; tests call it too.
package func buildApplication(
    configuration: VoiceServerConfiguration,
    callRegistry: CallRegistry = CallRegistry(),
    tools: any ToolProvider = InMemoryToolProvider(),
    bookingMCP: BookingMCPRoutes? = nil,
    outbox: (any BookingStore)? = nil,
    callRecords: (any CallRecordStore)? = nil,
    metrics: ServerMetrics = ServerMetrics(),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
    logger: Logger
) -> some ApplicationProtocol {
    for warning in configuration.startupWarnings {
        logger.warning("\(warning)")
    }
    let validator = configuration.twilioAuthToken.map { TwilioSignatureValidator(authToken: $0.value) }
    let urlResolver = PublicURLResolver(publicBaseURL: configuration.publicBaseURL)

    let router = Router(context: VoiceRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))

    HealthController(callRegistry: callRegistry, startedAt: .now).addRoutes(to: router)
    MetricsController(metrics: metrics, callRegistry: callRegistry, tools: tools as? MCPToolProvider)
        .addRoutes(to: router)
    VoiceWebhookController(
        configuration: configuration,
        callRegistry: callRegistry,
        urlResolver: urlResolver,
        validator: validator,
        callRecords: callRecords
    ).addRoutes(
        to: router.group("voice").add(
            middleware: TwilioWebhookAuthenticator(validator: validator, urlResolver: urlResolver)
        )
    )
    MediaStreamController(
        validator: validator,
        urlResolver: urlResolver,
        callRegistry: callRegistry,
        sessionFactory: CallSessionFactory(
            serverConfiguration: configuration,
            tools: tools,
            callController: configuration.twilioRESTClient.map {
                TwilioCallController(
                    client: $0,
                    transferNumber: configuration.transferNumber,
                    callerID: configuration.twilioPhoneNumber
                )
            },
            callRecords: callRecords,
            metrics: metrics
        )
    ).addRoutes(to: router)

    bookingMCP?.addRoutes(to: router)
    if let outbox {
        SMSStatusController(store: outbox).addRoutes(
            to: router.group("sms").add(
                middleware: TwilioWebhookAuthenticator(validator: validator, urlResolver: urlResolver)
            )
        )
    }

    return Application(
        router: router,
        server: .http1WebSocketUpgrade(
            webSocketRouter: router,
            configuration: .init(
                http1: .init(idleTimeout: HTTPServerTimeouts.idle),
                ws: .init(maxFrameSize: MediaStreamController.maximumFrameBytes, closeTimeout: .seconds(5))
            )
        ),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "voice-server/\(VoiceServerVersion.current)"
        ),
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// The booking system's MCP server on its own (`voice-server booking-mcp --port N`): `/mcp` and `/health`.
package func buildBookingMCPApplication(
    routes: BookingMCPRoutes,
    host: String,
    port: Int,
    logger: Logger
) -> some ApplicationProtocol {
    let router = Router()
    router.get("health") { _, _ in ["status": "ok", "version": VoiceServerVersion.current] }
    routes.addRoutes(to: router)
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: HTTPServerTimeouts.idle)),
        configuration: .init(
            address: .hostname(host, port: port),
            serverName: "booking-mcp/\(VoiceServerVersion.current)"
        ),
        logger: logger
    )
}

enum HTTPServerTimeouts {
    /// A keep-alive connection with no request in flight is closed after this long. Without it, an MCP client's
    /// pooled idle connection held a graceful shutdown up until the client's own idle timeout (60 s by default).
    static let idle = TimeAmount.seconds(30)
}
