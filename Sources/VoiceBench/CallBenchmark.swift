import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import VoiceTesting

#if canImport(Glibc)
import Glibc
#endif

/// `voice-server bench`: N concurrent simulated calls through the real server over loopback. Callers send 20 ms
/// frames at 50 a second; the stand-in Realtime service talks without pause and calls a tool now and then. Audio
/// payloads carry their send time, so each relayed frame is timed end to end in both directions. The server's CPU
/// and memory come from `/proc`, and so does the load generator's own cost.
package struct CallBenchmark: Sendable {
    package struct Options: Sendable {
        package var calls = 100
        /// How long the measurement lasts, once every call is connected and warm.
        package var seconds: Double = 20
        /// New calls per second while ramping up.
        package var callsPerSecondAtStart = 250
        package var warmUpSeconds: Double = 3
        /// Audio per assistant delta; one is sent every this many milliseconds.
        package var deltaMilliseconds = 100
        /// How often each call's assistant calls `check_availability`.
        package var toolIntervalSeconds: Double = 10
        /// A server already running (`http://host:port`) instead of one started here.
        package var serverURL: String?
        /// The `voice-server` to start (`serve`); this process's own executable if `nil`. Another build's binary
        /// measures that build with the same load generator.
        package var serverExecutable: String?
        /// That server's process, for its CPU and memory.
        package var serverPID: Int32?
        /// Where the stand-in Realtime service listens (a running server must point `OPENAI_REALTIME_URL` at it).
        package var realtimePort = 0
        /// Event-loop threads of the load generator.
        package var threads = 2
        /// Fault mode: every Realtime session is dropped once, at a random moment in the first half of the
        /// measurement; the server must replace it without losing the call.
        package var dropSessions = false
        /// CPUs for the server this benchmark starts (or the one `serverPID` names), and for the load generator:
        /// each on a core of its own, so neither steals the other's time. `nil` leaves them where the system puts
        /// them.
        package var serverCPUs: [Int]?
        package var loadGeneratorCPUs: [Int]?

        package init() {}
    }

    package struct LatencySummary: Sendable, Codable {
        package var count: UInt64
        package var p50Milliseconds: Double
        package var p99Milliseconds: Double
        package var p999Milliseconds: Double
        package var maxMilliseconds: Double
    }

    package struct Result: Sendable, Codable {
        package var calls: Int
        package var connectedCalls: Int
        /// Calls the server did not take (refused, or not answered within 10 s).
        package var failedCalls: Int
        package var droppedCalls: Int
        package var seconds: Double
        package var callerFramesSent: Int
        /// Caller frames that reached the Realtime service after one the same caller sent later: 0, or the relay
        /// reorders audio.
        package var callerFramesOutOfOrder: Int = 0
        package var assistantDeltasSent: Int
        package var callerToRealtime: LatencySummary
        package var realtimeToCaller: LatencySummary
        package var toolCalls: LatencySummary
        package var toolErrors: Int
        /// Server CPU (user + system) per second of call, in milliseconds.
        package var serverCPUMillisecondsPerCallSecond: Double?
        /// Of that, the time in the kernel: what the system calls cost, the floor for a relay in user space.
        package var serverSystemCPUMillisecondsPerCallSecond: Double?
        /// Server resident memory with the calls up, less before them, per call, in KiB.
        package var serverMemoryKiBPerCall: Double?
        /// Server resident memory before the calls, and at the end of the measurement with the calls up.
        package var serverResidentBeforeMiB: Double?
        package var serverResidentMiB: Double?
        /// The server's `read` and `write` system calls during the measurement, per frame relayed (caller frames
        /// and assistant deltas; the marks and their echoes are part of a delta's cost). A count, not a time: the
        /// same build gives the same figure on a busy machine or an idle one.
        package var serverReadCallsPerFrame: Double?
        package var serverWriteCallsPerFrame: Double?
        /// The load generator's own CPU per second of call, in milliseconds.
        package var loadGeneratorCPUMillisecondsPerCallSecond: Double
        /// Fault mode: sessions the stand-in service dropped.
        package var sessionsDropped: Int?
        /// Fault mode: per call, the longest silence between assistant frames beyond their period.
        package var longestSilence: LatencySummary?
        /// Fault mode: calls that ended during the measurement (the server closed them).
        package var callsLost: Int?
    }

    package let options: Options

    package init(options: Options) {
        self.options = options
    }

    package func run(logger: Logger) async throws -> Result {
        try await withRig(logger: logger) { rig in
            try await measure(rig: rig, logger: logger)
        }
    }

    /// What a run needs around its calls: the load generator's event loops, the stand-in Realtime service and the
    /// server under test.
    struct Rig: Sendable {
        let group: MultiThreadedEventLoopGroup
        let statistics: BenchStatistics
        let ticker: BenchTicker
        let dropper: SessionDropper?
        let host: String
        let port: Int
        let serverPID: Int32?
    }

    /// Sets up the load generator and the stand-in Realtime service, starts the server (unless one is running),
    /// runs `body`, and takes everything down again.
    func withRig<Value: Sendable>(
        logger: Logger,
        _ body: (Rig) async throws -> Value
    ) async throws -> Value {
        Self.raiseOpenFileLimit()
        if let cpus = options.loadGeneratorCPUs { try CPUAffinity.pin(pid: 0, to: cpus) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        let statistics = BenchStatistics()
        let ticker = BenchTicker(group: group)
        let dropper = options.dropSessions ? SessionDropper() : nil
        let toolInterval = TimeAmount.nanoseconds(Int64(options.toolIntervalSeconds * 1e9))
        let realtime = try await BenchConnections.listenAsRealtime(
            group: group,
            port: options.realtimePort,
            options: BenchRealtimeHandler.Options(
                deltaInterval: .milliseconds(Int64(options.deltaMilliseconds)),
                deltaAudioBytes: options.deltaMilliseconds * 8,
                toolInterval: toolInterval,
                firstToolCall: .nanoseconds(Int64.random(in: 1...toolInterval.nanoseconds))
            ),
            statistics: statistics,
            ticker: ticker,
            dropper: dropper
        )
        let realtimePort = realtime.localAddress?.port ?? 0
        var server: VoiceServerProcess?
        do {
            let target: (host: String, port: Int, pid: Int32?)
            if let serverURL = options.serverURL {
                guard let url = URLComponents(string: serverURL), let host = url.host, let port = url.port else {
                    throw BenchFailure(description: "--url must look like http://127.0.0.1:8080")
                }
                target = (host, port, options.serverPID)
                if let pid = options.serverPID, let cpus = options.serverCPUs {
                    try CPUAffinity.pin(pid: pid, to: cpus)
                }
                logger.notice(
                    "Benchmarking a running server",
                    metadata: ["realtime_url": "ws://127.0.0.1:\(realtimePort)/v1/realtime"]
                )
            } else {
                let database = FileManager.default.temporaryDirectory
                    .appendingPathComponent("voice-bench-\(UUID().uuidString).sqlite").path
                let started = try VoiceServerProcess.start(
                    executable: try options.serverExecutable ?? VoiceServerProcess.ownExecutable,
                    port: try FreePort.find(),
                    environment: [
                        "OPENAI_REALTIME_URL": "ws://127.0.0.1:\(realtimePort)/v1/realtime",
                        "OPENAI_API_KEY": "sk-bench", "OPENAI_TRANSCRIPTION_MODEL": "none",
                        "DATABASE_URL": database, "LOG_LEVEL": "warning", "APP_ENV": "development",
                        "TWILIO_AUTH_TOKEN": "", "TWILIO_ACCOUNT_SID": "", "MCP_SERVER_URL": "",
                    ]
                )
                server = started
                try await started.waitUntilHealthy()
                if let cpus = options.serverCPUs { try CPUAffinity.pin(pid: started.pid, to: cpus) }
                logger.notice(
                    "Server started; placing calls",
                    metadata: ["pid": "\(started.pid)", "calls": "\(options.calls)"]
                )
                target = ("127.0.0.1", started.port, started.pid)
            }
            let rig = Rig(
                group: group,
                statistics: statistics,
                ticker: ticker,
                dropper: dropper,
                host: target.host,
                port: target.port,
                serverPID: target.pid
            )
            let result = try await body(rig)
            ticker.stop()
            await server?.stop()
            try? await realtime.close()
            try? await group.shutdownGracefully()
            return result
        } catch {
            ticker.stop()
            await server?.stop()
            try? await realtime.close()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func measure(rig: Rig, logger: Logger) async throws -> Result {
        let (group, statistics, ticker, serverPID) = (rig.group, rig.statistics, rig.ticker, rig.serverPID)
        try await Task.sleep(for: .seconds(1))
        let serverBefore = try serverPID.map { try ProcessStats.read(pid: $0) }
        // Calls are placed at a steady rate without waiting for each other, so a slow server slows nothing down.
        let rampStart = ContinuousClock.now
        let (calls, failedCalls) = await withTaskGroup(of: (any Channel)?.self) { placing in
            for index in 0..<options.calls {
                let due = rampStart + .seconds(Double(index) / Double(options.callsPerSecondAtStart))
                try? await Task.sleep(until: due)
                placing.addTask {
                    let number = String(format: "%032d", index)
                    do {
                        let channel = try await BenchConnections.call(
                            group: group,
                            host: rig.host,
                            port: rig.port,
                            callSid: "CA" + number,
                            streamSid: "MZ" + number,
                            statistics: statistics,
                            ticker: ticker
                        )
                        statistics.connectedCalls.add(1, ordering: .relaxed)
                        return channel
                    } catch {
                        // An overloaded server refuses or ignores new calls: a result, counted, not the end of it.
                        logger.debug(
                            "A call could not be placed",
                            metadata: ["call": "\(index)", "reason": "\(error)"]
                        )
                        return nil
                    }
                }
            }
            var calls: [any Channel] = []
            var failed = 0
            for await call in placing {
                if let call { calls.append(call) } else { failed += 1 }
            }
            return (calls, failed)
        }
        if failedCalls > 0 {
            logger.warning("Some calls could not be placed", metadata: ["failed": "\(failedCalls)"])
        }
        guard !calls.isEmpty else { throw BenchFailure(description: "no call could be placed") }
        logger.notice("Calls connected; warming up, then measuring", metadata: ["calls": "\(calls.count)"])
        try await Task.sleep(for: .seconds(options.warmUpSeconds))

        statistics.reset()
        let droppedBefore = statistics.droppedCalls.load(ordering: .relaxed)
        let selfAtStart = try ProcessStats.read()
        let serverAtStart = try serverPID.map { try ProcessStats.read(pid: $0) }
        let start = ContinuousClock.now
        statistics.measuringSince.store(AudioStamp.now(), ordering: .relaxed)
        let sessionsDropped = rig.dropper?.dropAll(
            within: .nanoseconds(Int64(options.seconds * 1e9 / 2))
        )
        if let sessionsDropped {
            logger.notice("Dropping every Realtime session once", metadata: ["sessions": "\(sessionsDropped)"])
        }
        try await Task.sleep(for: .seconds(options.seconds))
        let elapsed = ContinuousClock.now - start
        let selfAtEnd = try ProcessStats.read()
        let serverAtEnd = try serverPID.map { try ProcessStats.read(pid: $0) }
        let callerToRealtime = statistics.callerToRealtime.summary
        let realtimeToCaller = statistics.realtimeToCaller.summary
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let callSeconds = Double(calls.count) * seconds
        var serverCPU: Double?
        var serverSystemCPU: Double?
        var serverMemory: Double?
        var readsPerFrame: Double?
        var writesPerFrame: Double?
        let framesRelayed = Double(callerToRealtime.count + realtimeToCaller.count)
        if let serverBefore, let serverAtStart, let serverAtEnd {
            serverCPU = (serverAtEnd.cpuSeconds - serverAtStart.cpuSeconds) * 1000 / callSeconds
            serverSystemCPU = (serverAtEnd.systemCPUSeconds - serverAtStart.systemCPUSeconds) * 1000 / callSeconds
            serverMemory = Double(serverAtEnd.residentBytes - serverBefore.residentBytes) / 1024 / Double(calls.count)
            if framesRelayed > 0, let readsAtStart = serverAtStart.readCalls, let readsAtEnd = serverAtEnd.readCalls,
                let writesAtStart = serverAtStart.writeCalls, let writesAtEnd = serverAtEnd.writeCalls
            {
                readsPerFrame = Double(readsAtEnd - readsAtStart) / framesRelayed
                writesPerFrame = Double(writesAtEnd - writesAtStart) / framesRelayed
            }
        }
        let callsLost = statistics.droppedCalls.load(ordering: .relaxed) - droppedBefore
        var result = Result(
            calls: options.calls,
            connectedCalls: calls.count,
            failedCalls: failedCalls,
            droppedCalls: statistics.droppedCalls.load(ordering: .relaxed),
            seconds: seconds,
            callerFramesSent: statistics.callerFramesSent.load(ordering: .relaxed),
            callerFramesOutOfOrder: statistics.callerFramesOutOfOrder.load(ordering: .relaxed),
            assistantDeltasSent: statistics.assistantDeltasSent.load(ordering: .relaxed),
            callerToRealtime: callerToRealtime,
            realtimeToCaller: realtimeToCaller,
            toolCalls: statistics.toolCalls.summary,
            toolErrors: statistics.toolErrors.load(ordering: .relaxed),
            serverCPUMillisecondsPerCallSecond: serverCPU,
            serverSystemCPUMillisecondsPerCallSecond: serverSystemCPU,
            serverMemoryKiBPerCall: serverMemory,
            serverResidentBeforeMiB: serverBefore.map { Double($0.residentBytes) / 1024 / 1024 },
            serverResidentMiB: serverAtEnd.map { Double($0.residentBytes) / 1024 / 1024 },
            serverReadCallsPerFrame: readsPerFrame,
            serverWriteCallsPerFrame: writesPerFrame,
            loadGeneratorCPUMillisecondsPerCallSecond: (selfAtEnd.cpuSeconds - selfAtStart.cpuSeconds) * 1000
                / callSeconds
        )
        logger.notice("Measured; hanging up", metadata: ["calls": "\(calls.count)"])
        let mediaPeriod = TimeAmount.milliseconds(Int64(options.deltaMilliseconds))
        await withTaskGroup(of: Void.self) { hangUps in
            for call in calls { hangUps.addTask { await BenchConnections.hangUp(call, mediaPeriod: mediaPeriod) } }
        }
        if let sessionsDropped {
            result.sessionsDropped = sessionsDropped
            result.longestSilence = statistics.longestSilence.summary
            result.callsLost = callsLost
        }
        return result
    }

    /// Thousands of calls need thousands of sockets, in this process and the server it starts.
    private static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
