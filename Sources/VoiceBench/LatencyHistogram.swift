import Histogram
import Synchronization

/// Latencies in microseconds, shared by the load generator's event loops; percentiles from HdrHistogram.
final class LatencyHistogram: Sendable {
    private let histogram = Mutex(
        Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    )

    func record(nanoseconds: UInt64) {
        let microseconds = nanoseconds / 1_000
        histogram.withLock { _ = $0.record(microseconds) }
    }

    /// Forgets what was recorded, at the start of the measurement.
    func reset() {
        histogram.withLock { $0.reset() }
    }

    var summary: CallBenchmark.LatencySummary {
        histogram.withLock { histogram in
            CallBenchmark.LatencySummary(
                count: histogram.totalCount,
                p50Milliseconds: Double(histogram.valueAtPercentile(50)) / 1000,
                p99Milliseconds: Double(histogram.valueAtPercentile(99)) / 1000,
                p999Milliseconds: Double(histogram.valueAtPercentile(99.9)) / 1000,
                maxMilliseconds: Double(histogram.maxRecorded) / 1000
            )
        }
    }
}
