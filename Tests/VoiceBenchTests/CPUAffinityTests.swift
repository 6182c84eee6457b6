import Testing

@testable import VoiceBench

/// `bench --server-cpus` and `--load-cpus`: CPU lists as `taskset` writes them, and pinning this process.
@Suite struct CPUAffinityTests {
    @Test func cpuListsReadAsTasksetWritesThem() throws {
        #expect(try CPUAffinity.parse("0") == [0])
        #expect(try CPUAffinity.parse("0,2-3") == [0, 2, 3])
        #expect(try CPUAffinity.parse("1-1") == [1])
    }

    @Test(arguments: ["", "a", "1-", "-1", "3-2", "0,,x", "1-2-3"])
    func aListThatIsNotOneIsRefused(_ text: String) {
        #expect(throws: CPUAffinity.Failure.self) { try CPUAffinity.parse(text) }
    }

    @Test func pinningToACPUThatDoesNotExistFails() {
        #expect(throws: CPUAffinity.Failure.self) { try CPUAffinity.pin(pid: 0, to: [100_000]) }
    }
}
