// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "voice-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "voice-server", targets: ["VoiceServerCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // An operation raced against its deadline, without waiting for one that ignores cancellation. No dependencies.
        .target(
            name: "AsyncDeadline",
            swiftSettings: swiftSettings
        ),
        // A strict, allocation-free reader for the small JSON objects that carry audio. No dependencies.
        .target(
            name: "FlatJSON",
            swiftSettings: swiftSettings
        ),
        // Twilio's wire formats: Media Streams messages, TwiML, webhook signatures. Foundation and Crypto only.
        .target(
            name: "TwilioMedia",
            dependencies: [
                "FlatJSON",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Text frames written straight onto an upgraded WebSocket channel: coalesced flushes, cheap masking keys.
        .target(
            name: "WebSocketFrames",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The OpenAI Realtime API (GA): typed client and server events, the session configuration, the WebSocket client.
        .target(
            name: "RealtimeAPI",
            dependencies: [
                "FlatJSON",
                "WebSocketFrames",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // One call: Twilio media stream ⇄ Realtime session, playback tracking, barge-in, the tool loop.
        .target(
            name: "CallBridge",
            dependencies: [
                "AsyncDeadline",
                "TwilioMedia",
                "RealtimeAPI",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The booking domain: jobs, crews, trucks, slots, prices, spoken dates, the rules, who may see what.
        // Foundation, and Crypto for the one-time codes' hashes.
        .target(
            name: "Booking",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        // Call records: what happened on each call (status history, transcript, tools, usage, cost, outcome).
        // Foundation only.
        .target(
            name: "CallRecords",
            swiftSettings: swiftSettings
        ),
        // One SQL database behind SQLKit (a SQLite file or a PostgreSQL pool), versioned migrations, timestamps.
        .target(
            name: "SQLStorage",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The booking store over SQLKit: one code path for SQLite and PostgreSQL, migrations, the outbox.
        .target(
            name: "BookingSQL",
            dependencies: [
                "Booking",
                "SQLStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The voice server's call records in SQL, on SQLite or PostgreSQL.
        .target(
            name: "CallRecordsSQL",
            dependencies: [
                "CallRecords",
                "SQLStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // Reading the environment and `.env` into checked values: the variables, their errors, secrets, the
        // database location, the Twilio account. Shared by the voice server and the booking server.
        .target(
            name: "ServerConfiguration",
            dependencies: [
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // A refused WebSocket upgrade answered with the status its refusal chose, not hummingbird-websocket's `400`.
        // Shared by the voice server's media stream and the fake Realtime service.
        .target(
            name: "UpgradeRefusals",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),
        // Twilio's signed webhooks on Hummingbird: the public URL a request was signed for, the checking middleware.
        .target(
            name: "TwilioWebhooks",
            dependencies: [
                "ServerConfiguration",
                "TwilioMedia",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The booking tools as an MCP server: Streamable HTTP (mounted in Hummingbird) and stdio.
        .target(
            name: "BookingMCP",
            dependencies: [
                "AsyncDeadline",
                "Booking",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Our MCP client: the Streamable HTTP transport (JSON and SSE answers) and the tool provider that offers an
        // MCP server's tools to calls.
        .target(
            name: "MCPClient",
            dependencies: [
                "AsyncDeadline",
                "CallBridge",
                "RealtimeAPI",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Twilio's REST API: call updates (hang up, transfer) and, later, SMS.
        .target(
            name: "TwilioREST",
            dependencies: [
                "TwilioMedia",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Sends the outbox's text messages through Twilio, each exactly once.
        .target(
            name: "OutboxDelivery",
            dependencies: [
                "Booking",
                "TwilioREST",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The booking system as a server: its configuration (the booking variables only), the booking system on a
        // database, and the standalone application (`/mcp`, `/sms/status`, `/health`) for `booking-mcp`.
        .target(
            name: "BookingServer",
            dependencies: [
                "Booking",
                "BookingMCP",
                "BookingSQL",
                "OutboxDelivery",
                "SQLStorage",
                "ServerConfiguration",
                "TwilioMedia",
                "TwilioREST",
                "TwilioWebhooks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The office's dashboard on the admin listener: sign-in, today, calls, moves, texts; pages from templates.
        .target(
            name: "Dashboard",
            dependencies: [
                "Booking",
                "BookingSQL",
                "CallRecords",
                "CallRecordsSQL",
                "SQLStorage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            resources: [
                .embedInCode("Templates/layout.mustache"),
                .embedInCode("Templates/login.mustache"),
                .embedInCode("Templates/message.mustache"),
                .embedInCode("Templates/today.mustache"),
                .embedInCode("Templates/calls.mustache"),
                .embedInCode("Templates/call.mustache"),
                .embedInCode("Templates/moves.mustache"),
                .embedInCode("Templates/move.mustache"),
                .embedInCode("Templates/texts.mustache"),
                .embedInCode("Templates/grid.mustache"),
                .embedInCode("Templates/day.mustache"),
                .embedInCode("Templates/dashboard.css"),
            ],
            swiftSettings: swiftSettings
        ),
        // The voice server: its configuration, the composition root, routes, the media stream, call registry, metrics.
        .target(
            name: "VoiceServer",
            dependencies: [
                "AsyncDeadline",
                "Dashboard",
                "Booking",
                "UpgradeRefusals",
                "WebSocketFrames",
                "TwilioMedia",
                "RealtimeAPI",
                "CallBridge",
                "BookingMCP",
                "BookingServer",
                "MCPClient",
                "CallRecords",
                "CallRecordsSQL",
                "SQLStorage",
                "ServerConfiguration",
                "TwilioREST",
                "TwilioWebhooks",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Protocol-faithful stand-ins for the outside services (Twilio, OpenAI), shared by tests, `simulate` and `bench`.
        .target(
            name: "VoiceTesting",
            dependencies: [
                "UpgradeRefusals",
                "Booking",
                "TwilioMedia",
                "RealtimeAPI",
                "SQLStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // `voice-server simulate`: one whole booking call, offline, through the real server and the fakes.
        .target(
            name: "VoiceSimulation",
            dependencies: [
                "Booking",
                "BookingServer",
                "CallRecords",
                "CallRecordsSQL",
                "ServerConfiguration",
                "TwilioMedia",
                "VoiceServer",
                "VoiceTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/CallerUtterances")],
            swiftSettings: swiftSettings
        ),
        // Load generators and measurements for `voice-server booking-bench` (and, later, `bench`).
        .target(
            name: "VoiceBench",
            dependencies: [
                "Booking",
                "BookingServer",
                "CallRecordsSQL",
                "MCPClient",
                "RealtimeAPI",
                "SQLStorage",
                "VoiceServer",
                "VoiceTesting",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `voice-server` executable: parses arguments and assembles; nothing else.
        .executableTarget(
            name: "VoiceServerCLI",
            dependencies: [
                "BookingServer",
                "VoiceServer",
                "VoiceBench",
                "VoiceSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AsyncDeadlineTests",
            dependencies: ["AsyncDeadline"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebSocketFramesTests",
            dependencies: [
                "WebSocketFrames",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlatJSONTests",
            dependencies: ["FlatJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TwilioRESTTests",
            dependencies: ["TwilioREST", "VoiceTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TwilioWebhooksTests",
            dependencies: [
                "ServerConfiguration",
                "TwilioMedia",
                "TwilioWebhooks",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerConfigurationTests",
            dependencies: ["ServerConfiguration", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CallRecordsTests",
            dependencies: ["CallRecords"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SQLStorageTests",
            dependencies: ["SQLStorage", "VoiceTesting", .product(name: "SQLKit", package: "sql-kit")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookingMCPTests",
            dependencies: [
                "Booking",
                "BookingMCP",
                "BookingSQL",
                "VoiceTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TwilioMediaTests",
            dependencies: ["TwilioMedia", "VoiceTesting"],
            resources: [.copy("Resources/twilio-signature-vectors.json")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookingTests",
            dependencies: ["Booking"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookingSQLTests",
            dependencies: ["Booking", "BookingSQL", "VoiceTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookingServerTests",
            dependencies: [
                "Booking",
                "BookingMCP",
                "BookingServer",
                "BookingSQL",
                "MCPClient",
                "RealtimeAPI",
                "SQLStorage",
                "TwilioMedia",
                "VoiceTesting",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CallRecordsSQLTests",
            dependencies: [
                "BookingSQL", "CallRecords", "CallRecordsSQL", "SQLStorage", "VoiceTesting",
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RealtimeAPITests",
            dependencies: [
                "RealtimeAPI",
                "VoiceTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            resources: [.copy("Resources/openai-realtime-events.json")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CallBridgeTests",
            dependencies: ["CallBridge", "RealtimeAPI", "TwilioMedia"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutboxDeliveryTests",
            dependencies: [
                "OutboxDelivery",
                "Booking",
                "BookingSQL",
                "SQLStorage",
                "TwilioREST",
                "VoiceTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MCPClientTests",
            dependencies: [
                "MCPClient",
                "CallBridge",
                "RealtimeAPI",
                "VoiceTesting",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VoiceSimulationTests",
            dependencies: ["Booking", "CallRecords", "VoiceSimulation", "VoiceTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VoiceBenchTests",
            dependencies: ["VoiceBench", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VoiceServerTests",
            dependencies: [
                "BookingServer",
                "CallRecords",
                "CallRecordsSQL",
                "Dashboard",
                "VoiceSimulation",
                "ServerConfiguration",
                "VoiceServer",
                "VoiceBench",
                "TwilioMedia",
                "VoiceTesting",
                "Booking",
                "BookingMCP",
                "BookingSQL",
                "MCPClient",
                "RealtimeAPI",
                "TwilioREST",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
