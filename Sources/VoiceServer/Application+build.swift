import AsyncHTTPClient
import Booking
import BookingMCP
import BookingServer
import CallBridge
import CallRecords
import CallRecordsSQL
import Dashboard
import Hummingbird
import HummingbirdWebSocket
import Logging
import MCPClient
import NIOCore
import RealtimeAPI
import SQLStorage
import ServerConfiguration
import ServiceLifecycle
import TwilioMedia
import TwilioREST
import TwilioWebhooks
import UnixSignals
import UpgradeRefusals

/// The voice server, assembled in one place from its configuration: `serve`, `simulate`, the server `bench` starts
/// and the tests all build it here.
///
/// It opens the database (`DATABASE_URL`) and runs its migrations before it returns; the call records are kept there
/// whatever the booking system is. Unless `MCP_SERVER_URL` names a remote booking server, the booking system is
/// embedded on the same database, with its texts' delivery reports at `/sms/status`.
///
/// Two listeners: the public one (`HOST:PORT`) serves only what Twilio and load balancers need (`/voice/*`,
/// `/sms/status`, `/media-stream`, `/health`); the admin one (`ADMIN_HOST:ADMIN_PORT`, loopback by default) serves
/// `/metrics` and the embedded booking system's `/mcp`, behind `ADMIN_TOKEN`. Every long-lived part (the database,
/// the MCP sessions, the tool gateway, the text sender, the admin listener) is a service of the public application:
/// it starts with it and is closed after the public server has stopped.
package struct VoiceApplication: Sendable {
    /// What tests, `simulate` and `bench` change in the assembly.
    package struct Overrides: Sendable {
        package var callRegistry = CallRegistry()
        package var metrics = ServerMetrics()
        /// Replaces the booking tools offered to calls (tests use tools defined in code).
        package var tools: (any ToolProvider)?
        package var onServerRunning: @Sendable (any Channel) async -> Void = { _ in }
        /// Wraps the store the calls' journals write to (tests slow it down).
        package var journalStore: @Sendable (any CallRecordStore) -> any CallRecordStore = { $0 }
        /// Wraps the store the embedded booking system's tools use (tests slow it down).
        package var bookingStore: @Sendable (any BookingStore) -> any BookingStore = { $0 }
        /// How calls retry the Realtime service (tests shorten it).
        package var realtimeRetryPolicy = RealtimeRetryPolicy.standard

        package init() {}
    }

    package let application: Application<RouterResponder<VoiceRequestContext>>
    /// Where the admin listener listens, once it does.
    package let adminPort: ListeningPort
    /// The embedded booking system; `nil` with `MCP_SERVER_URL`.
    package let bookingSystem: BookingSystem?
    package let callRecords: SQLCallRecordStore
    package let callRegistry: CallRegistry
    /// The calls' way to the booking tools over MCP; `nil` when ``Overrides/tools`` replaced it.
    package let toolGateway: MCPToolGateway?
    /// The calls as a shutdown sees them.
    package let drain: CallDrain
    /// `DRAIN_SECONDS`.
    package let drainDuration: Duration

    /// The server's services, shutdown included: on `SIGTERM` or `SIGINT` the drain runs first, while the server
    /// still serves its calls, and the server itself (Hummingbird, then every service it owns) stops only once the
    /// drain is over. `serve` runs this; tests run it to check the order.
    package func serviceGroup(signals: [UnixSignal] = [.sigterm, .sigint], logger: Logger) -> ServiceGroup {
        var server = ServiceGroupConfiguration(services: [application], logger: logger)
        // Once the calls are over, a connection a client keeps open may not hold the exit up for ever.
        server.maximumGracefulShutdownDuration = .seconds(10)
        let drainService = DrainService(
            drain: drain,
            callRegistry: callRegistry,
            drainTime: drainDuration,
            logger: logger
        )
        // Services stop in the reverse order: the drain first.
        var whole = ServiceGroupConfiguration(
            services: [ServiceGroup(configuration: server), drainService],
            gracefulShutdownSignals: signals,
            logger: logger
        )
        whole.maximumGracefulShutdownDuration = drainDuration + DrainService.goodbyeTime + .seconds(30)
        return ServiceGroup(configuration: whole)
    }

    package static func build(
        configuration: VoiceServerConfiguration,
        overrides: Overrides = Overrides(),
        logger: Logger
    ) async throws -> VoiceApplication {
        for warning in configuration.startupWarnings {
            logger.warning("\(warning)")
        }
        let secrets = SecretStore(configuration.secrets)
        let storage = try await SQLStorage.open(configuration.booking.database, logger: logger)
        let callRecords = SQLCallRecordStore(storage: storage)
        let dashboardSessions = DashboardSessionStore(storage: storage)
        var bookingSystem: BookingSystem?
        if configuration.mcpServerURL == nil {
            bookingSystem = BookingSystem(
                configuration: configuration.booking,
                storage: storage,
                secrets: secrets,
                wrapServiceStore: overrides.bookingStore,
                logger: logger
            )
        }
        do {
            try await callRecords.prepare(logger: logger)
            try await dashboardSessions.prepare(logger: logger)
            try await bookingSystem?.prepare()
        } catch {
            await storage.close()
            throw error
        }

        var toolGateway: MCPToolGateway?
        if overrides.tools == nil {
            if let url = configuration.mcpServerURL {
                toolGateway = .remote(url: url, token: { secrets[.mcpServerToken]?.value }, logger: logger)
            } else if let bookingSystem {
                logger.info(
                    "Booking system ready",
                    metadata: ["mcp": "/mcp", "database": "\(configuration.booking.database.kind)"]
                )
                toolGateway = .embedded(bookingSystem, logger: logger)
            }
        }
        let tools: any ToolProvider = overrides.tools ?? toolGateway ?? InMemoryToolProvider()

        let upgradeRefusals = UpgradeRefusals()
        let drain = CallDrain()
        let liveCalls = LiveCallBoard()
        let dashboard = try DashboardController<VoiceRequestContext>(
            callRecords: callRecords,
            booking: bookingSystem.map { .init(service: $0.service, store: $0.store) },
            sessions: dashboardSessions,
            adminToken: { secrets[.adminToken]?.value },
            liveCalls: { liveCalls.snapshot },
            business: configuration.booking.businessName,
            timeZone: configuration.booking.policy.timeZone,
            recordingAudio: recordingAudio(configuration.booking.twilio.restClient(secrets: secrets)),
            logger: logger
        )
        let router = makeRouter(
            configuration: configuration,
            secrets: secrets,
            overrides: overrides,
            drain: drain,
            upgradeRefusals: upgradeRefusals,
            tools: tools,
            bookingSystem: bookingSystem,
            callRecords: callRecords,
            liveCalls: liveCalls
        )
        let adminPort = ListeningPort()
        let admin = makeAdminApplication(
            configuration: configuration,
            metrics: MetricsController(
                metrics: overrides.metrics,
                callRegistry: overrides.callRegistry,
                tools: toolGateway
            ),
            bookingSystem: bookingSystem,
            dashboard: dashboard,
            secrets: secrets,
            port: adminPort,
            logger: logger
        )
        // Stopped in the reverse order: the public server, the admin listener, the text sender, the tool gateway,
        // the MCP sessions, the database.
        var services: [any Service] = [storage]
        if let bookingSystem { services.append(bookingSystem.endpoint) }
        if let toolGateway { services.append(toolGateway) }
        if let bookingSystem { services.append(bookingSystem.sender) }
        services.append(admin)
        if let reload = configuration.reload {
            services.append(SecretReloader(secrets: secrets, reload: reload, logger: logger))
        }
        let application = Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(
                    http1: .init(
                        additionalChannelHandlers: [upgradeRefusals.rewriter()],
                        idleTimeout: HTTPServerTimeouts.idle
                    ),
                    ws: .init(maxFrameSize: MediaStreamController.maximumFrameBytes, closeTimeout: .seconds(5))
                )
            ),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "voice-server/\(ServerVersion.current)"
            ),
            services: services,
            onServerRunning: overrides.onServerRunning,
            logger: logger
        )
        return VoiceApplication(
            application: application,
            adminPort: adminPort,
            bookingSystem: bookingSystem,
            callRecords: callRecords,
            callRegistry: overrides.callRegistry,
            toolGateway: toolGateway,
            drain: drain,
            drainDuration: configuration.drainDuration
        )
    }

    /// Fetches a recording's audio with the account's credentials, for the dashboard to stream; `nil` without them.
    private static func recordingAudio(
        _ client: TwilioRESTClient?
    ) -> (@Sendable (String) async throws -> ResponseBody)? {
        guard let client else { return nil }
        return { recordingSid in
            let response = try await client.recordingAudio(recordingSid: recordingSid)
            return ResponseBody(asyncSequence: response.body)
        }
    }

    private static func makeRouter(
        configuration: VoiceServerConfiguration,
        secrets: SecretStore,
        overrides: Overrides,
        drain: CallDrain,
        upgradeRefusals: UpgradeRefusals,
        tools: any ToolProvider,
        bookingSystem: BookingSystem?,
        callRecords: SQLCallRecordStore,
        liveCalls: LiveCallBoard
    ) -> Router<VoiceRequestContext> {
        let twilio = configuration.booking.twilio
        let validator: @Sendable () -> TwilioSignatureValidator? = { secrets.twilioSignatureValidator }
        let urlResolver = PublicURLResolver(publicBaseURL: configuration.booking.publicBaseURL)
        let callRegistry = overrides.callRegistry

        let limiter = BadSignatureLimiter()
        let metrics = overrides.metrics
        let onRefusal: @Sendable (TwilioRequestRefusal) -> Void = { refusal in
            switch refusal {
            case .badSignature: metrics.refused(.badSignature)
            case .tooManyBadSignatures: metrics.refused(.tooManyBadSignatures)
            }
        }
        let router = Router(context: VoiceRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))

        HealthController(callRegistry: callRegistry, startedAt: .now, drain: drain).addRoutes(to: router)
        VoiceWebhookController(
            configuration: configuration,
            callRegistry: callRegistry,
            urlResolver: urlResolver,
            validator: validator,
            callRecords: callRecords,
            metrics: overrides.metrics,
            drain: drain
        ).addRoutes(
            to: router.group("voice").add(
                middleware: TwilioWebhookAuthenticator(
                    validator: validator,
                    urlResolver: urlResolver,
                    limiter: limiter,
                    onRefusal: onRefusal
                )
            )
        )
        MediaStreamController(
            validator: validator,
            urlResolver: urlResolver,
            sessionFactory: CallSessionFactory(
                serverConfiguration: configuration,
                secrets: secrets,
                tools: tools,
                callController: twilio.restClient(secrets: secrets).map {
                    TwilioCallController(
                        client: $0,
                        transferNumber: configuration.transferNumber,
                        callerID: twilio.phoneNumber
                    )
                },
                host: ServerCallHost(
                    callRegistry: callRegistry,
                    callRecords: overrides.journalStore(callRecords),
                    metrics: overrides.metrics,
                    tokenPrices: configuration.tokenPrices,
                    liveCalls: liveCalls,
                    recorder: configuration.recordCalls
                        ? twilio.restClient(secrets: secrets).map {
                            CallRecorder(
                                client: $0,
                                statusCallback: configuration.booking.publicBaseURL.map {
                                    "\($0.scheme)://\($0.authority)/voice/recording-status"
                                },
                                callRecords: overrides.journalStore(callRecords)
                            )
                        } : nil
                ),
                retryPolicy: overrides.realtimeRetryPolicy
            ),
            upgradeRefusals: upgradeRefusals,
            limiter: limiter,
            metrics: metrics,
            drain: drain
        ).addRoutes(to: router)

        // Whoever owns the outbox takes its delivery reports: here only when the booking system is embedded.
        if let bookingSystem {
            SMSStatusController(store: bookingSystem.store).addRoutes(
                to: router,
                authenticator: TwilioWebhookAuthenticator(
                    validator: validator,
                    urlResolver: urlResolver,
                    limiter: limiter,
                    onRefusal: onRefusal
                )
            )
        }
        return router
    }

    /// The admin listener: `/metrics`, the office's `/dashboard` and, with the booking system embedded, its `/mcp`,
    /// behind ``AdminAuthenticator`` (the dashboard signs staff in itself).
    private static func makeAdminApplication(
        configuration: VoiceServerConfiguration,
        metrics: MetricsController,
        bookingSystem: BookingSystem?,
        dashboard: DashboardController<VoiceRequestContext>,
        secrets: SecretStore,
        port: ListeningPort,
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router(context: VoiceRequestContext.self)
        router.add(middleware: AdminAuthenticator(secrets: secrets))
        metrics.addRoutes(to: router)
        dashboard.addRoutes(to: router)
        if let bookingSystem {
            // Its token is checked by the authenticator, which also takes the admin token.
            BookingMCPRoutes(endpoint: bookingSystem.endpoint, token: nil).addRoutes(to: router)
        }
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: HTTPServerTimeouts.idle)),
            configuration: .init(
                address: .hostname(configuration.adminHost, port: configuration.adminPort),
                serverName: "voice-server-admin/\(ServerVersion.current)"
            ),
            onServerRunning: { channel in port.listening(on: channel.localAddress?.port) },
            logger: logger
        )
    }
}
