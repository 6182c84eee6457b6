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

    @Option(
        name: .customLong("server-cpus"),
        help: "CPUs to pin the server to (e.g. 0, or 0-1); with --load-cpus, each has a core of its own."
    )
    var serverCPUs: String?

    @Option(name: .customLong("load-cpus"), help: "CPUs to pin this load generator to (e.g. 1).")
    var loadCPUs: String?

    @Option(
        name: .customLong("server-executable"),
        help: "The voice-server binary to start and measure (another build's), instead of this one."
    )
    var serverExecutable: String?

    @Flag(
        help: ArgumentHelp(
            "Find the most calls the server carries with relay p99 under 20 ms both ways and every call placed: "
                + "doubling from the first --calls count until a run misses, then halving the gap."
        )
    )
    var capacity = false

    @Option(
        help: ArgumentHelp(
            "Place this many short calls (a second each) one after another instead, and report whether the "
                + "server's memory grows with them (more than 1,000)."
        )
    )
    var churn: Int?

    @Option(name: .customLong("churn-concurrency"), help: "With --churn: calls in progress at a time.")
    var churnConcurrency = 50

    /// What the JSON line carries.
    struct Report: Encodable {
        var runs: [CallBenchmark.Result] = []
        /// `--capacity`: the most calls that held (relay p99 under 20 ms both ways, every call placed).
        var capacityCalls: Int?
        var churn: CallBenchmark.ChurnResult?
    }

    func options(calls: Int) throws -> CallBenchmark.Options {
        var options = CallBenchmark.Options()
        options.calls = calls
        options.seconds = seconds
        options.serverURL = url
        options.serverPID = serverPID
        options.realtimePort = realtimePort
        options.deltaMilliseconds = deltaMilliseconds
        options.toolIntervalSeconds = toolInterval
        options.dropSessions = dropSessions
        options.serverExecutable = serverExecutable
        do {
            options.serverCPUs = try serverCPUs.map(CPUAffinity.parse)
            options.loadGeneratorCPUs = try loadCPUs.map(CPUAffinity.parse)
        } catch {
            throw ValidationError("\(error)")
        }
        return options
    }

    func run() async throws {
        bootstrapLogging(level: .notice, toStandardError: true)
        let counts = try calls.split(separator: ",").map { text in
            guard let count = Int(text), count > 0 else { throw ValidationError("--calls takes positive numbers") }
            return count
        }
        let logger = Logger(label: "bench")
        var report = Report()
        if let churn {
            guard churn > CallBenchmark.warmUpCalls, churnConcurrency > 0 else {
                throw ValidationError("--churn takes more than \(CallBenchmark.warmUpCalls) calls")
            }
            let result = try await CallBenchmark(options: try options(calls: churnConcurrency))
                .churn(calls: churn, concurrency: churnConcurrency, logger: logger)
            Self.printUnbuffered(
                String(
                    format: "churn: %d calls (%d failed), %d at a time; server resident %.1f MiB before, %.1f MiB "
                        + "after the first %d, %.1f MiB at the end: %.1f KiB per 1,000 calls",
                    result.calls,
                    result.failedCalls,
                    result.concurrency,
                    result.residentBeforeMiB,
                    result.residentAfterWarmUpMiB,
                    CallBenchmark.warmUpCalls,
                    result.residentAtEndMiB,
                    result.growthKiBPerThousandCalls
                )
            )
            report.churn = result
            Self.printJSON(report)
            return
        }
        Self.printUnbuffered(Self.header)
        if capacity {
            let search = CapacitySearch(start: counts[0])
            let found = try await search.run { count in
                let result = try await CallBenchmark(options: try options(calls: count)).run(logger: logger)
                Self.printUnbuffered(Self.row(result) + (search.held(result) ? "  held" : "  missed"))
                return result
            }
            report.runs = found.runs
            report.capacityCalls = found.capacity
            Self.printUnbuffered(
                "capacity: \(found.capacity.map(String.init) ?? "not even one call") with relay p99 under "
                    + "\(Int(search.limitMilliseconds)) ms both ways"
            )
            Self.printJSON(report)
            return
        }
        for count in counts {
            let result = try await CallBenchmark(options: try options(calls: count)).run(logger: logger)
            report.runs.append(result)
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
        Self.printJSON(report)
    }

    static let header =
        "calls  connected failed dropped  caller→realtime p50/p99/max ms  realtime→caller p50/p99/max ms  "
        + "tool p50/p99 ms  server cpu ms/call·s (kernel)  server KiB/call  loadgen cpu ms/call·s  server reads+writes/frame"

    /// The whole report as one line of JSON, keys sorted, for comparing one run with another.
    static func printJSON(_ report: Report) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        printUnbuffered(String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self))
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
            + "  " + optional(result.serverCPUMillisecondsPerCallSecond, "%11.3f")
            + " (" + optional(result.serverSystemCPUMillisecondsPerCallSecond, "%.3f") + " sys)"
            + "  " + optional(result.serverMemoryKiBPerCall, "%15.1f")
            + "  " + String(format: "%21.3f", result.loadGeneratorCPUMillisecondsPerCallSecond)
            + "  " + perFrame(result)
    }

    static func perFrame(_ result: CallBenchmark.Result) -> String {
        guard let reads = result.serverReadCallsPerFrame, let writes = result.serverWriteCallsPerFrame else {
            return "n/a"
        }
        return String(format: "%.2f + %.2f", reads, writes)
    }
}
