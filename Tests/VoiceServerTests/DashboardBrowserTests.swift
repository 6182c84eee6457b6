import Booking
import BookingServer
import CallRecords
import CallRecordsSQL
import Foundation
import Logging
import Synchronization
import Testing
import VoiceSimulation
import VoiceTesting

@testable import VoiceServer

/// The dashboard in a real browser (Chromium through Playwright, `Tests/Browser/dashboard_browser.py`): the office
/// signs in, a simulated booking call goes through the real server, and the office finds it, reads it, and cancels
/// the move it booked. Screenshots land in `.build/screenshots/`.
///
/// Needs `BROWSER_TEST_PYTHON`, a Python with `playwright` installed, and Debian's `chromium`; `.ci/run` provides
/// both, and under `CI=true` a missing one fails the test instead of skipping it.
@Suite(.timeLimit(.minutes(3)))
struct DashboardBrowserTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func browserPython() throws -> String? {
        if let python = ProcessInfo.processInfo.environment["BROWSER_TEST_PYTHON"] { return python }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("BROWSER_TEST_PYTHON is not set under CI: the dashboard was not tested in a browser")
        } else {
            print(
                "Skipped the browser test: set BROWSER_TEST_PYTHON to a Python with playwright (and install chromium)"
            )
        }
        return nil
    }

    @Test func theOfficeFindsACallReadsItAndCancelsTheMoveItBooked() async throws {
        guard let python = try Self.browserPython() else { return }
        let screenshots = Self.packageRoot.appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        var quiet = Logger(label: "browser-test")
        quiet.logLevel = .warning
        try await FakeTwilioREST.run(accountSid: TestValues.accountSid, authToken: TestValues.authToken, logger: quiet)
        {
            twilio in
            var environment = DashboardRouteTests.environment
            environment["TWILIO_API_BASE_URL"] = twilio.baseURL.absoluteString
            environment["TWILIO_PHONE_NUMBER"] = "+15005550006"
            let policy = BookingPolicy.standard()
            let conversation = try BookingConversation(
                date: BookingConversation.moveDate(policy: policy, today: CalendarDate(Date(), in: policy.timeZone))
            )
            try await withCallServer(script: conversation.script, environment: environment, tools: nil) {
                client,
                server,
                _ in
                _ = try await eventually { server.adminPort.value != nil }
                let script = try BrowserScript(
                    python: python,
                    script: Self.packageRoot.appendingPathComponent("Tests/Browser/dashboard_browser.py").path,
                    arguments: [
                        "--url", "http://127.0.0.1:\(try #require(server.adminPort.value))",
                        "--token", DashboardRouteTests.token,
                        "--screenshots", screenshots.path,
                    ]
                )
                let callSid = "CA" + String(repeating: "7", count: 32)
                var jobID: String?
                var finished = false
                for await line in script.lines {
                    switch line {
                    case "place-call":
                        _ = try await CallTests.caller(client, callSid: callSid).call(conversation.callerSteps)
                        var record: CallRecord?
                        _ = try await eventually {
                            record = try await server.callRecords.callRecord(callSid: callSid)
                            return record?.outcome != nil
                        }
                        jobID = record?.jobID
                        script.send("placed \(callSid) \(jobID ?? "none")")
                    case "ok":
                        finished = true
                    default:
                        break
                    }
                }
                let status = script.waitForExit()
                #expect(status == 0, "the browser script failed:\n\(script.errors)")
                #expect(finished)
                // What the browser did reached the booking system, as the staff's change.
                let job = try await server.bookingSystem?.service.job(id: try #require(jobID))
                #expect(job?.status == .cancelled)
                #expect(job?.updatedBy == "staff")
                for name in ["dashboard-call", "dashboard-day-booked", "dashboard-day-freed", "dashboard-today"] {
                    #expect(
                        FileManager.default.fileExists(atPath: screenshots.appendingPathComponent(name + ".png").path)
                    )
                }
            }
        }
    }
}

/// A Python script run as a child process, talking in lines: what it prints arrives in ``lines``; ``send(_:)``
/// writes a line to its input. Unchecked: `Process` and `Pipe` are used only through their thread-safe calls.
final class BrowserScript: @unchecked Sendable {
    private let process: Process
    private let input: Pipe
    private let errorOutput = Mutex("")
    let lines: AsyncStream<String>

    init(python: String, script: String, arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        self.process = process
        self.input = input
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        try process.run()
        Thread.detachNewThread { [self] in
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            errorOutput.withLock { $0 = String(decoding: data, as: UTF8.self) }
        }
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending = Data(pending[(newline + 1)...])
                }
            }
            continuation.finish()
        }
    }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// The exit status, once the script has ended.
    func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// What the script wrote to its standard error.
    var errors: String {
        errorOutput.withLock { $0 }
    }
}
