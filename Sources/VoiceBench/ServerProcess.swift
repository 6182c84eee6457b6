import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A `voice-server serve` of our own executable, started for the benchmark so that `/proc` shows its CPU and
/// memory apart from the load generator's.
struct ServerProcess {
    let process: Process
    let port: Int
    let logPath: String

    var pid: Int32 { process.processIdentifier }
    var url: String { "http://127.0.0.1:\(port)" }

    static func start(port: Int, environment: [String: String]) throws -> ServerProcess {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("voice-bench-server-\(port).log")
            .path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--env-file", "/nonexistent"]
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        merged["HOST"] = "127.0.0.1"
        merged["PORT"] = String(port)
        merged["ADMIN_PORT"] = "0"
        process.environment = merged
        process.standardOutput = log
        process.standardError = log
        try process.run()
        return ServerProcess(process: process, port: port, logPath: logPath)
    }

    /// Waits until `/health` answers.
    func waitUntilHealthy(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw BenchFailure(description: "the server exited at start; its log is \(logPath)")
            }
            if let response = try? await HTTPClient.shared.execute(
                HTTPClientRequest(url: url + "/health"),
                timeout: .seconds(1)
            ), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchFailure(description: "the server did not answer /health; its log is \(logPath)")
    }

    /// SIGTERM, and SIGKILL if the server has not exited 10 s later.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(pid, SIGKILL) }
    }
}
