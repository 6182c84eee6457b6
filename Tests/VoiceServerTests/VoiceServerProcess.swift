import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import VoiceTesting

#if canImport(Glibc)
import Glibc
#endif

/// The real `voice-server` executable, built beside the tests (`swift test` builds it), run as a process of its own:
/// for what only a process shows, such as what `SIGTERM` does and the exit status.
struct VoiceServerProcess {
    let process: Process
    let port: Int
    let logPath: String

    var url: String { "http://127.0.0.1:\(port)" }

    static func start(environment: [String: String]) throws -> VoiceServerProcess {
        let tests = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: tests).deletingLastPathComponent()
        // Linux runs the tests from `<bin>/voice-serverPackageTests.xctest`; look beside it, and one level up.
        var executable = directory.appendingPathComponent("voice-server")
        if !FileManager.default.isExecutableFile(atPath: executable.path) {
            directory.deleteLastPathComponent()
            executable = directory.appendingPathComponent("voice-server")
        }
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw ProcessFailure(description: "voice-server is not built beside the tests: run `swift build` first")
        }
        let port = try FreePort.find()
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("voice-server-\(port).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = executable
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
        return VoiceServerProcess(process: process, port: port, logPath: logPath)
    }

    /// The process's log so far.
    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Waits until `/health` answers.
    func waitUntilHealthy(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw ProcessFailure(description: "the server exited at start:\n\(log)") }
            if let response = try? await get("/health"), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessFailure(description: "the server did not answer /health:\n\(log)")
    }

    func get(_ path: String) async throws -> HTTPClientResponse {
        try await HTTPClient.shared.execute(HTTPClientRequest(url: url + path), timeout: .seconds(2))
    }

    /// Sends `signal` (`SIGTERM` by default), as a platform does to stop a deploy's old instance.
    func signal(_ signal: Int32 = SIGTERM) {
        Glibc.kill(process.processIdentifier, signal)
    }

    /// The exit status once the process has exited, or `nil` if it is still running after `timeout`.
    func exitStatus(within timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Kills the process if a test left it running.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    struct ProcessFailure: Error, CustomStringConvertible {
        var description: String
    }
}
