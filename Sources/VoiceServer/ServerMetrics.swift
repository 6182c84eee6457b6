import CallBridge
import CallRecords
import CoreMetrics
import RealtimeAPI

import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// The server's measurements, served at `/metrics` in Prometheus' text format. Each application has its own
/// registry (nothing global), so tests and `simulate` can read exactly what one server counted.
package struct ServerMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    package let calls: CallMetrics
    private let factory: PrometheusMetricsFactory

    package init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Relaying a frame takes microseconds; anything near a frame's 20 ms is trouble.
        let relayBuckets: [Duration] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
            .milliseconds(100),
        ]
        let secondsBuckets: [Duration] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        factory.durationHistogramBuckets = [
            CallMetrics.Label.relayLatency: relayBuckets,
            CallMetrics.Label.responseLatency: secondsBuckets,
            Label.toolLatency: secondsBuckets,
        ]
        self.registry = registry
        self.factory = factory
        self.calls = CallMetrics(factory: factory)
        activeCalls = CoreMetrics.Gauge(label: Label.activeCalls, factory: factory)
        activeRealtimeSessions = CoreMetrics.Gauge(label: Label.activeRealtimeSessions, factory: factory)
        mcpReconnects = CoreMetrics.Counter(label: Label.mcpReconnects, factory: factory)
        estimatedCost = FloatingPointCounter(label: Label.estimatedCost, factory: factory)
    }

    package enum Label {
        package static let activeCalls = "voice_active_calls"
        package static let activeRealtimeSessions = "voice_active_realtime_sessions"
        package static let callsByOutcome = "voice_calls_total"
        package static let toolLatency = "voice_tool_call_duration_seconds"
        package static let toolErrors = "voice_tool_call_errors_total"
        package static let mcpReconnects = "voice_mcp_reconnects_total"
        package static let tokens = "voice_realtime_tokens_total"
        package static let estimatedCost = "voice_realtime_estimated_cost_dollars_total"
        package static let refusals = "voice_refusals_total"
    }

    /// Everything measured so far, in Prometheus' text format.
    package func scrape() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    let activeCalls: CoreMetrics.Gauge
    let activeRealtimeSessions: CoreMetrics.Gauge
    let mcpReconnects: CoreMetrics.Counter
    let estimatedCost: FloatingPointCounter

    /// Counts a call, stream or request turned away, by ``Refusal``.
    package func refused(_ refusal: Refusal) {
        CoreMetrics.Counter(label: Label.refusals, dimensions: [("reason", refusal.rawValue)], factory: factory)
            .increment()
    }

    func callEnded(_ outcome: CallOutcome) {
        CoreMetrics.Counter(label: Label.callsByOutcome, dimensions: [("outcome", outcome.rawValue)], factory: factory)
            .increment()
    }

    func toolCalled(_ name: String, milliseconds: Int, outcome: ToolRunner.Outcome) {
        Timer(label: Label.toolLatency, dimensions: [("tool", name)], factory: factory)
            .recordMilliseconds(milliseconds)
        let error: String? =
            switch outcome {
            case .succeeded: nil
            case .failed: "failed"
            case .timedOut: "timed_out"
            }
        if let error {
            CoreMetrics.Counter(
                label: Label.toolErrors,
                dimensions: [("tool", name), ("error", error)],
                factory: factory
            )
            .increment()
        }
    }

    func used(_ usage: RealtimeUsage, costMicroDollars: Int) {
        let kinds = [
            ("text_in", usage.inputTextTokens), ("audio_in", usage.inputAudioTokens),
            ("cached_in", usage.cachedInputTokens), ("text_out", usage.outputTextTokens),
            ("audio_out", usage.outputAudioTokens),
        ]
        for (kind, count) in kinds where count > 0 {
            CoreMetrics.Counter(label: Label.tokens, dimensions: [("kind", kind)], factory: factory).increment(
                by: count
            )
        }
        estimatedCost.increment(by: Double(costMicroDollars) / 1_000_000)
    }
}
