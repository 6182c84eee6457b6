/// `bench --capacity`: the most calls one server carries with the relay's p99 under a limit both ways, found by
/// doubling from a first count until a run misses, then halving the gap between the last run that held and the
/// first that missed.
package struct CapacitySearch: Sendable {
    /// The first count tried.
    package var start: Int
    /// Relay p99 both ways must stay under this.
    package var limitMilliseconds: Double = 20
    /// The search stops once the gap between held and missed is at most this share of what held (and 10 calls).
    package var resolution = 0.05
    /// No count above this is tried.
    package var ceiling = 10_000

    package init(start: Int) {
        self.start = start
    }

    /// Whether a run held: every call placed, none dropped, and relay p99 under the limit both ways.
    package func held(_ result: CallBenchmark.Result) -> Bool {
        result.failedCalls == 0 && result.droppedCalls == 0
            && result.callerToRealtime.p99Milliseconds < limitMilliseconds
            && result.realtimeToCaller.p99Milliseconds < limitMilliseconds
    }

    /// The next count to try, given the most calls that held so far and the fewest that missed; `nil` when the
    /// search is done.
    package func next(held: Int?, missed: Int?) -> Int? {
        switch (held, missed) {
        case (nil, nil): return start
        case (let held?, nil): return held >= ceiling ? nil : min(held * 2, ceiling)
        case (nil, let missed?):
            // Even the first count missed: halve it, down to a single call.
            return missed <= 1 ? nil : missed / 2
        case (let held?, let missed?):
            let gap = missed - held
            return gap <= max(10, Int(Double(held) * resolution)) ? nil : held + gap / 2
        }
    }

    /// Runs `measure` for each count the search asks for; returns the capacity (`nil` if not even one call held)
    /// and every run in the order made.
    package func run(
        _ measure: (Int) async throws -> CallBenchmark.Result
    ) async throws -> (capacity: Int?, runs: [CallBenchmark.Result]) {
        var held: Int?
        var missed: Int?
        var runs: [CallBenchmark.Result] = []
        while let count = next(held: held, missed: missed) {
            let result = try await measure(count)
            runs.append(result)
            if self.held(result) { held = count } else { missed = count }
        }
        return (held, runs)
    }
}
