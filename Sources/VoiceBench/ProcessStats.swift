import Foundation

/// CPU time, resident memory and I/O system calls of a process, read from `/proc` (Linux).
struct ProcessStats: Sendable {
    /// User plus system CPU time, in seconds.
    var cpuSeconds: Double
    /// The system part: time in the kernel, for the process's system calls (on loopback, a write also carries the
    /// TCP work of delivering it).
    var systemCPUSeconds: Double
    /// Resident set size, in bytes.
    var residentBytes: Int
    /// `read`-family and `write`-family system calls so far (`syscr` and `syscw` of `/proc/PID/io`): on sockets,
    /// every `read`, `write` and `writev`, and the event loops' wake-ups through their `eventfd`. `nil` where the
    /// kernel does not show them.
    var readCalls: Int?
    var writeCalls: Int?

    struct Unavailable: Error, CustomStringConvertible {
        var pid: Int32
        var description: String { "cannot read /proc/\(pid): is it a running process on this machine?" }
    }

    /// `pid` 0 reads this process.
    static func read(pid: Int32 = 0) throws -> ProcessStats {
        let directory = pid == 0 ? "/proc/self" : "/proc/\(pid)"
        guard let stat = try? String(contentsOfFile: directory + "/stat", encoding: .utf8),
            let status = try? String(contentsOfFile: directory + "/status", encoding: .utf8),
            let afterName = stat.range(of: ")", options: .backwards)
        else { throw Unavailable(pid: pid) }
        // After the command name: state is field 3, so utime (14) and stime (15) are the 12th and 13th here.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw Unavailable(pid: pid)
        }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let residentKiB = field("VmRSS", in: status) ?? 0
        let io = (try? String(contentsOfFile: directory + "/io", encoding: .utf8)) ?? ""
        return ProcessStats(
            cpuSeconds: (user + system) / ticksPerSecond,
            systemCPUSeconds: system / ticksPerSecond,
            residentBytes: residentKiB * 1024,
            readCalls: field("syscr", in: io),
            writeCalls: field("syscw", in: io)
        )
    }

    /// The number after `name:` on its own line of a `/proc` file.
    private static func field(_ name: String, in text: String) -> Int? {
        text.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) }
    }
}
