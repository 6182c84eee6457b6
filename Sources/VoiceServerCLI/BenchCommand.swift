import ArgumentParser
import Foundation
import Logging
import VoiceBench

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Concurrent simulated calls through the real server over loopback: relay latency both ways, "
            + "tool-call latency, server CPU per call-second and memory per call, and the load generator's own cost."
    )

    @Option(help: "Concurrent calls (comma-separated for several runs, e.g. 100,500,1000,2000).")
    var calls: String = "100"

    @Option(help: "Seconds of measurement per run, after every call is connected and warm.")
    var seconds: Double = 20

    @Option(help: "A running voice-server to measure (http://host:port) instead of one started here.")
    var url: String?

    @Option(name: .customLong("server-pid"), help: "With --url: the server's process, for its CPU and memory.")
    var serverPID: Int32?

    @Option(
        name: .customLong("realtime-port"),
        help: "Port of the stand-in Realtime service; with --url, point the server's OPENAI_REALTIME_URL at it."
    )
    var realtimePort: Int = 0

    @Option(name: .customLong("delta-ms"), help: "Milliseconds of assistant audio per delta (one sent per period).")
    var deltaMilliseconds: Int = 100

    @Option(name: .customLong("tool-interval"), help: "Seconds between each call's tool calls.")
    var toolInterval: Double = 10

    @Flag(
        name: .customLong("drop-sessions"),
        help: ArgumentHelp(
            "Fault mode: the stand-in Realtime service drops every session once, at a random moment in the first "
                + "half of the measurement; reports the longest silence each caller heard and the calls lost."
        )
    )
    var dropSessions = false

    func run() async throws {
        bootstrapLogging(level: .notice, toStandardError: true)
        let counts = try calls.split(separator: ",").map { text in
            guard let count = Int(text), count > 0 else { throw ValidationError("--calls takes positive numbers") }
            return count
        }
        Self.printUnbuffered(
            "calls  connected failed dropped  caller→realtime p50/p99/max ms  realtime→caller p50/p99/max ms  "
                + "tool p50/p99 ms  server cpu ms/call·s  server KiB/call  loadgen cpu ms/call·s"
        )
        var results: [CallBenchmark.Result] = []
        for count in counts {
            var options = CallBenchmark.Options()
            options.calls = count
            options.seconds = seconds
            options.serverURL = url
            options.serverPID = serverPID
            options.realtimePort = realtimePort
            options.deltaMilliseconds = deltaMilliseconds
            options.toolIntervalSeconds = toolInterval
            options.dropSessions = dropSessions
            let result = try await CallBenchmark(options: options).run(logger: Logger(label: "bench"))
            results.append(result)
            Self.printUnbuffered(Self.row(result))
            if let silence = result.longestSilence, let lost = result.callsLost {
                Self.printUnbuffered(
                    String(
                        format: "  fault: %d sessions dropped; longest silence per call p50 %.0f ms, p99 %.0f ms, "
                            + "max %.0f ms; %d calls lost",
                        result.sessionsDropped ?? 0,
                        silence.p50Milliseconds,
                        silence.p99Milliseconds,
                        silence.maxMilliseconds,
                        lost
                    )
                )
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        Self.printUnbuffered(String(decoding: try encoder.encode(results), as: UTF8.self))
    }

    /// Each row as soon as it is measured, even when standard output is a file or a pipe.
    static func printUnbuffered(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func row(_ result: CallBenchmark.Result) -> String {
        func latency(_ summary: CallBenchmark.LatencySummary) -> String {
            String(
                format: "%6.2f /%7.2f /%7.2f",
                summary.p50Milliseconds,
                summary.p99Milliseconds,
                summary.maxMilliseconds
            )
        }
        func optional(_ value: Double?, _ format: String) -> String {
            value.map { String(format: format, $0) } ?? "     n/a"
        }
        return String(
            format: "%5d %10d %6d %7d  ",
            result.calls,
            result.connectedCalls,
            result.failedCalls,
            result.droppedCalls
        )
            + latency(result.callerToRealtime) + "        " + latency(result.realtimeToCaller) + "       "
            + String(format: "%6.1f /%6.1f", result.toolCalls.p50Milliseconds, result.toolCalls.p99Milliseconds)
            + "  " + optional(result.serverCPUMillisecondsPerCallSecond, "%20.3f")
            + "  " + optional(result.serverMemoryKiBPerCall, "%15.1f")
            + "  " + String(format: "%21.3f", result.loadGeneratorCPUMillisecondsPerCallSecond)
    }
}
