import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VoiceTesting

/// Runs `Tests/Interop/mcp_reference_server.py` on a free loopback port for the length of `body`.
enum ReferenceServerProcess {
    struct NotReady: Error, CustomStringConvertible {
        var output: String
        var description: String { "the Python reference server did not start: \(output)" }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop/mcp_reference_server.py").path

    static func run<Value: Sendable>(
        python: String,
        mode: String,
        _ body: (URL) async throws -> Value
    ) async throws -> Value {
        let port = try FreePort.find()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, String(port), mode]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { stop(process) }
        let url = URL(string: "http://127.0.0.1:\(port)/mcp")!
        try await waitUntilListening(url, process: process, errors: errors)
        return try await body(url)
    }

    /// SIGTERM, and SIGKILL if uvicorn's graceful shutdown has not finished within two seconds.
    private static func stop(_ process: Process) {
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(2)
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Polls until the server answers anything at `url` (it needs a second or two to import and start).
    private static func waitUntilListening(_ url: URL, process: Process, errors: Pipe) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)) {
                _ = try? await response.body.collect(upTo: 1 << 16)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        throw NotReady(output: String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// The status of the answer to a JSON `POST` of `body` with `headers`.
    static func statusOfPOST(to url: URL, headers: [(String, String)], body: String) async throws -> Int {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        _ = try? await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }
}
