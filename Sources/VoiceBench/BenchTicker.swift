import NIOCore
import NIOPosix

/// One timer per event loop for every call on it. A repeating timer per call would wake its loop thousands of
/// times a second at 2,000 calls, and those wake-ups were most of the load generator's cost. Each action gets a
/// random phase within its period, so the calls' frames stay spread out as real calls' are.
final class BenchTicker: Sendable {
    static let tick = TimeAmount.milliseconds(2)

    /// The actions of one event loop, bucketed by the tick they run on.
    private final class Wheels {
        let start = NIODeadline.now()
        var ticks = 0
        /// Per period in ticks: one bucket per tick of the period; an action returns `false` to stop.
        var buckets: [Int: [[() -> Bool]]] = [:]

        /// Runs every tick due by now: a late timer catches up, so periods hold on average.
        func advance() {
            let due = Int((NIODeadline.now() - start).nanoseconds / BenchTicker.tick.nanoseconds)
            while ticks < due {
                ticks += 1
                for period in buckets.keys {
                    let slot = ticks % period
                    guard !buckets[period]![slot].isEmpty else { continue }
                    buckets[period]![slot] = buckets[period]![slot].filter { $0() }
                }
            }
        }
    }

    private let wheels: [ObjectIdentifier: NIOLoopBoundBox<Wheels>]
    private let timers: [RepeatedTask]

    init(group: MultiThreadedEventLoopGroup) {
        var wheels: [ObjectIdentifier: NIOLoopBoundBox<Wheels>] = [:]
        var timers: [RepeatedTask] = []
        for eventLoop in group.makeIterator() {
            let bound = NIOLoopBoundBox.makeBoxSendingValue(Wheels(), eventLoop: eventLoop)
            wheels[ObjectIdentifier(eventLoop)] = bound
            timers.append(
                eventLoop.scheduleRepeatedTask(initialDelay: Self.tick, delay: Self.tick) { _ in bound.value.advance() }
            )
        }
        self.wheels = wheels
        self.timers = timers
    }

    /// Runs `action` on `eventLoop` every `period` (a multiple of 2 ms) until it returns `false`. Call it on
    /// `eventLoop`.
    func every(_ period: TimeAmount, on eventLoop: any EventLoop, _ action: @escaping () -> Bool) {
        guard let bound = wheels[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("an event loop of another group")
        }
        let periodTicks = max(1, Int(period.nanoseconds / Self.tick.nanoseconds))
        let wheel = bound.value
        if wheel.buckets[periodTicks] == nil {
            wheel.buckets[periodTicks] = Array(repeating: [], count: periodTicks)
        }
        wheel.buckets[periodTicks]![Int.random(in: 0..<periodTicks)].append(action)
    }

    func stop() {
        for timer in timers { timer.cancel() }
    }
}
