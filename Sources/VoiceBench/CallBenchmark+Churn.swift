import Foundation
import Logging
import NIOCore

extension CallBenchmark {
    /// What `bench --churn` found: whether the server's memory comes back after calls end.
    package struct ChurnResult: Sendable, Codable {
        /// Calls placed, one after another (`concurrency` at a time), each a second of audio both ways.
        package var calls: Int
        package var failedCalls: Int
        package var concurrency: Int
        /// Server resident memory before any call, once the first ``warmUpCalls`` had ended, and once all had.
        package var residentBeforeMiB: Double
        package var residentAfterWarmUpMiB: Double
        package var residentAtEndMiB: Double
        /// Growth from the warm-up mark to the end, per thousand calls: 0 when nothing is kept per call.
        package var growthKiBPerThousandCalls: Double
    }

    /// Calls placed before memory is first read: the allocator's arenas and the server's caches fill up then.
    package static let warmUpCalls = 1_000

    /// Places `calls` short calls, `concurrency` at a time, each a second of caller frames and assistant audio,
    /// and reads the server's resident memory before, after the first ``warmUpCalls`` and at the end.
    package func churn(calls: Int, concurrency: Int, logger: Logger) async throws -> ChurnResult {
        guard calls > Self.warmUpCalls else {
            throw BenchFailure(description: "--churn needs more than \(Self.warmUpCalls) calls")
        }
        return try await withRig(logger: logger) { rig in
            guard let pid = rig.serverPID else {
                throw BenchFailure(description: "--churn reads the server's memory: give --server-pid with --url")
            }
            try await Task.sleep(for: .seconds(1))
            let before = try ProcessStats.read(pid: pid)
            var failed = await placeCalls(0..<Self.warmUpCalls, concurrency: concurrency, rig: rig, logger: logger)
            try await Task.sleep(for: .seconds(2))
            let afterWarmUp = try ProcessStats.read(pid: pid)
            failed += await placeCalls(Self.warmUpCalls..<calls, concurrency: concurrency, rig: rig, logger: logger)
            // Let the server finish writing the last calls' records.
            try await Task.sleep(for: .seconds(2))
            let end = try ProcessStats.read(pid: pid)
            let mib = { (stats: ProcessStats) in Double(stats.residentBytes) / 1024 / 1024 }
            let laterCalls = Double(calls - Self.warmUpCalls) / 1000
            return ChurnResult(
                calls: calls,
                failedCalls: failed,
                concurrency: concurrency,
                residentBeforeMiB: mib(before),
                residentAfterWarmUpMiB: mib(afterWarmUp),
                residentAtEndMiB: mib(end),
                growthKiBPerThousandCalls: Double(end.residentBytes - afterWarmUp.residentBytes) / 1024 / laterCalls
            )
        }
    }

    /// Places the calls numbered `range`, `concurrency` at a time, each lane one call after another; returns how
    /// many could not be placed.
    private func placeCalls(_ range: Range<Int>, concurrency: Int, rig: Rig, logger: Logger) async -> Int {
        await withTaskGroup(of: Int.self) { lanes in
            for lane in 0..<concurrency {
                lanes.addTask {
                    var failed = 0
                    for index in stride(from: range.lowerBound + lane, to: range.upperBound, by: concurrency)
                    where !(await place(index, rig: rig, logger: logger)) {
                        failed += 1
                    }
                    return failed
                }
            }
            return await lanes.reduce(0, +)
        }
    }

    /// One short call: connected, a second of audio, hung up. `false` if it could not be placed.
    private func place(_ index: Int, rig: Rig, logger: Logger) async -> Bool {
        let number = String(format: "%032d", index)
        do {
            let channel = try await BenchConnections.call(
                group: rig.group,
                host: rig.host,
                port: rig.port,
                callSid: "CA" + number,
                streamSid: "MZ" + number,
                statistics: rig.statistics,
                ticker: rig.ticker
            )
            try? await Task.sleep(for: .seconds(1))
            await BenchConnections.hangUp(channel, mediaPeriod: .milliseconds(Int64(options.deltaMilliseconds)))
            return true
        } catch {
            logger.debug("A call could not be placed", metadata: ["call": "\(index)", "reason": "\(error)"])
            return false
        }
    }
}
