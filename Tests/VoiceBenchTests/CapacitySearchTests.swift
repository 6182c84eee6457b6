import Testing

@testable import VoiceBench

/// `bench --capacity`: which counts the search tries, and what it calls held.
@Suite struct CapacitySearchTests {
    /// A server that carries up to `capacity` calls with p99 well under the limit, and queues beyond it.
    static func run(calls: Int, capacity: Int) -> CallBenchmark.Result {
        let p99 = calls <= capacity ? 2.0 : 80.0
        let latency = CallBenchmark.LatencySummary(
            count: 1000,
            p50Milliseconds: 0.5,
            p99Milliseconds: p99,
            p999Milliseconds: p99,
            maxMilliseconds: p99
        )
        return CallBenchmark.Result(
            calls: calls,
            connectedCalls: calls,
            failedCalls: 0,
            droppedCalls: 0,
            seconds: 10,
            callerFramesSent: 0,
            assistantDeltasSent: 0,
            callerToRealtime: latency,
            realtimeToCaller: latency,
            toolCalls: latency,
            toolErrors: 0,
            loadGeneratorCPUMillisecondsPerCallSecond: 1
        )
    }

    @Test(arguments: [1, 37, 100, 260, 333, 1_000, 4_321])
    func theSearchFindsTheCapacityWithinItsResolution(capacity: Int) async throws {
        let search = CapacitySearch(start: 100)
        let found = try await search.run { Self.run(calls: $0, capacity: capacity) }
        let held = try #require(found.capacity)
        #expect(held <= capacity)
        #expect(capacity - held <= max(10, Int(Double(held) * search.resolution)))
        // Doubling then halving: a handful of runs, not a sweep.
        #expect(found.runs.count <= 12)
        #expect(found.runs.map(\.calls).first == 100)
    }

    @Test func aServerThatCarriesNothingHasNoCapacity() async throws {
        let found = try await CapacitySearch(start: 8).run { Self.run(calls: $0, capacity: 0) }
        #expect(found.capacity == nil)
        #expect(found.runs.map(\.calls) == [8, 4, 2, 1])
    }

    @Test func aRunWithAFailedCallOrAP99OverTheLimitDidNotHold() {
        let search = CapacitySearch(start: 100)
        var result = Self.run(calls: 100, capacity: 100)
        #expect(search.held(result))
        result.failedCalls = 1
        #expect(!search.held(result))
        result = Self.run(calls: 100, capacity: 100)
        result.realtimeToCaller.p99Milliseconds = 20
        #expect(!search.held(result))
        result = Self.run(calls: 100, capacity: 100)
        result.droppedCalls = 1
        #expect(!search.held(result))
    }
}
