import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// A `voice-server` of our own executable run as a process of its own: for `bench` (so that `/proc` shows its CPU
/// and memory apart from the load generator's) and for tests of what only a process shows, such as what `SIGTERM`
/// does and the exit status. Its output goes to a log file.
package struct VoiceServerProcess: Sendable {
    package let process: Process
    package let port: Int
    package let logPath: String

    package var pid: Int32 { process.processIdentifier }
    package var url: String { "http://127.0.0.1:\(port)" }

    /// The executable this process runs from (`bench` runs its own `serve`).
    package static var ownExecutable: String {
        get throws { try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") }
    }

    /// `voice-server` built beside the running test bundle (`swift test` builds it).
    package static var builtBesideTests: String {
        get throws {
            var directory = URL(fileURLWithPath: try ownExecutable).deletingLastPathComponent()
            for _ in 0..<2 {
                let candidate = directory.appendingPathComponent("voice-server").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory.deleteLastPathComponent()
            }
            throw ProcessFailure(description: "voice-server is not built beside the tests: run `swift build` first")
        }
    }

    /// Starts `executable serve` on 127.0.0.1:`port` with `environment` over this process's own, reading no `.env`.
    package static func start(
        executable: String,
        port: Int,
        environment: [String: String],
        arguments: [String] = ["serve", "--env-file", "/nonexistent"]
    ) throws -> VoiceServerProcess {
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("voice-server-\(port).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
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

    /// The process's output so far.
    package var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Waits until `/health` answers.
    package func waitUntilHealthy(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw ProcessFailure(description: "the server exited at start; its log is \(logPath)")
            }
            if let response = try? await get("/health"), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessFailure(description: "the server did not answer /health; its log is \(logPath)")
    }

    package func get(_ path: String) async throws -> HTTPClientResponse {
        try await HTTPClient.shared.execute(HTTPClientRequest(url: url + path), timeout: .seconds(2))
    }

    /// Sends `signal` (`SIGTERM` by default), as a platform does to stop a deploy's old instance.
    package func signal(_ signal: Int32 = SIGTERM) {
        kill(pid, signal)
    }

    /// The exit status once the process has exited, or `nil` if it is still running after `timeout`.
    package func exitStatus(within timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// `SIGTERM`, and `SIGKILL` if the server has not exited `grace` later.
    package func stop(grace: Duration = .seconds(10)) async {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if await exitStatus(within: grace) == nil { signal(SIGKILL) }
    }

    package struct ProcessFailure: Error, CustomStringConvertible {
        package var description: String
    }
}
