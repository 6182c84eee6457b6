import BookingMCP
import BookingServer
import Foundation
import HummingbirdTesting
import Logging
import SQLStorage

/// A booking system on a fresh SQLite file for one test, prepared, and closed afterwards.
func withTemporaryBookingSystem<Value: Sendable>(
    environment: [String: String] = [:],
    logger: Logger,
    _ body: (BookingSystem) async throws -> Value
) async throws -> Value {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("booking-\(UUID()).sqlite").path
    var environment = environment
    environment["DATABASE_URL"] = path
    let configuration = try await BookingServerConfiguration.load(environment: environment, environmentFile: nil)
    let storage = try await SQLStorage.open(configuration.database, logger: logger)
    let system = BookingSystem(configuration: configuration, storage: storage, logger: logger)
    do {
        try await system.prepare()
        let value = try await body(system)
        await system.endpoint.closeAll()
        await storage.close()
        return value
    } catch {
        await system.endpoint.closeAll()
        await storage.close()
        throw error
    }
}

/// The standalone booking server (`booking-mcp`) on a fresh SQLite file, run for one test in `mode`.
func withTemporaryBookingServer(
    _ mode: TestingSetup,
    environment: [String: String],
    _ test: @escaping @Sendable (any TestClientProtocol, BookingServer) async throws -> Void
) async throws {
    var environment = environment
    environment["DATABASE_URL"] =
        FileManager.default.temporaryDirectory.appendingPathComponent("booking-\(UUID()).sqlite").path
    let configuration = try await BookingServerConfiguration.load(environment: environment, environmentFile: nil)
    var logger = Logger(label: "booking-server-tests")
    logger.logLevel = .warning
    let server = try await BookingServer.build(configuration: configuration, host: "127.0.0.1", port: 0, logger: logger)
    try await server.application.test(mode) { client in try await test(client, server) }
}
