import NIOCore

/// Runs Swift tasks on one SwiftNIO event loop.
///
/// A call's tasks prefer the event loop of its media stream, and its Realtime socket is opened on that loop too,
/// so a relayed frame goes from socket to socket on one thread. Without it each frame was handed from an event
/// loop to Swift's cooperative pool and back to another event loop, and those thread wake-ups cost more than all
/// the rest of the relay (issue 7). Jobs enqueued from the loop itself are queued without waking anything.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
