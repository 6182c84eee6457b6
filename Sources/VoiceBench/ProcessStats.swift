import Foundation

/// CPU time and resident memory of a process, read from `/proc` (Linux).
struct ProcessStats: Sendable {
    /// User plus system CPU time, in seconds.
    var cpuSeconds: Double
    /// Resident set size, in bytes.
    var residentBytes: Int

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
        let residentKiB =
            status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        return ProcessStats(cpuSeconds: (user + system) / ticksPerSecond, residentBytes: residentKiB * 1024)
    }
}
