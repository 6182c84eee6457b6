import Foundation

/// Pins a process's threads to chosen CPUs (Linux), so that the server and the load generator each have a core of
/// their own and one does not steal the other's time.
package enum CPUAffinity {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// Pins every thread `pid` has now to `cpus`; threads they start later inherit it. `pid` 0 is this process.
    /// Done by util-linux's `taskset -a -p` (Swift's Glibc module leaves out `sched_setaffinity`).
    package static func pin(pid: Int32, to cpus: [Int]) throws {
        guard cpus.allSatisfy({ $0 >= 0 && $0 < ProcessInfo.processInfo.processorCount }) else {
            throw Failure(
                description: "no CPU among \(cpus) on this machine of \(ProcessInfo.processInfo.processorCount)"
            )
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        let target = pid == 0 ? ProcessInfo.processInfo.processIdentifier : pid
        process.arguments = ["-a", "-p", "-c", cpus.map(String.init).joined(separator: ","), String(target)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot run taskset (util-linux) to pin to CPUs \(cpus): \(error)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "taskset could not pin process \(target) to CPUs \(cpus)")
        }
    }

    /// `"0"`, `"0,1"` or `"2-3"` as CPU numbers.
    package static func parse(_ text: String) throws -> [Int] {
        var cpus: [Int] = []
        for part in text.split(separator: ",") {
            let ends = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            let bounds = ends.compactMap { Int($0) }
            guard bounds.count == ends.count, let first = bounds.first, let last = bounds.last, first <= last else {
                throw Failure(description: "'\(text)' is not a CPU list such as 0 or 0,1 or 2-3")
            }
            cpus += Array(first...last)
        }
        guard !cpus.isEmpty else { throw Failure(description: "an empty CPU list") }
        return cpus
    }
}
