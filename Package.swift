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
    ],
    targets: [
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
        // The OpenAI Realtime API (GA): typed client and server events, the session configuration, the WebSocket client.
        .target(
            name: "RealtimeAPI",
            dependencies: [
                "FlatJSON",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // One call: Twilio media stream ⇄ Realtime session, playback tracking, barge-in, the tool loop.
        .target(
            name: "CallBridge",
            dependencies: [
                "TwilioMedia",
                "RealtimeAPI",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The booking domain: jobs, crews, trucks, slots, prices, spoken dates, the rules. Foundation only.
        .target(
            name: "Booking",
            swiftSettings: swiftSettings
        ),
        // Call records: what happened on each call (status history, transcript, tools, usage, cost, outcome).
        // Foundation only.
        .target(
            name: "CallRecords",
            swiftSettings: swiftSettings
        ),
        // The booking store over SQLKit: one code path for SQLite and PostgreSQL, migrations, the outbox.
        .target(
            name: "BookingSQL",
            dependencies: [
                "Booking",
                "CallRecords",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The booking tools as an MCP server: Streamable HTTP (mounted in Hummingbird) and stdio.
        .target(
            name: "BookingMCP",
            dependencies: [
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
                "CallBridge",
                "RealtimeAPI",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
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
        // The HTTP and WebSocket server: configuration, routes, middleware, call registry.
        .target(
            name: "VoiceServer",
            dependencies: [
                "TwilioMedia",
                "RealtimeAPI",
                "CallBridge",
                "Booking",
                "BookingSQL",
                "BookingMCP",
                "MCPClient",
                "OutboxDelivery",
                "CallRecords",
                "TwilioREST",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // Protocol-faithful stand-ins for the outside services (Twilio, OpenAI), shared by tests, `simulate` and `bench`.
        .target(
            name: "VoiceTesting",
            dependencies: [
                "TwilioMedia",
                "RealtimeAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
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
                "BookingSQL",
                "CallRecords",
                "MCPClient",
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
                "BookingMCP",
                "MCPClient",
                "RealtimeAPI",
                "VoiceServer",
                "VoiceTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
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
                "VoiceServer",
                "VoiceBench",
                "VoiceSimulation",
                "BookingMCP",
                "MCPClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
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
            dependencies: ["Booking", "BookingSQL", "CallRecords", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RealtimeAPITests",
            dependencies: ["RealtimeAPI", "VoiceTesting"],
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
            name: "VoiceBenchTests",
            dependencies: ["VoiceBench", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VoiceServerTests",
            dependencies: [
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
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
