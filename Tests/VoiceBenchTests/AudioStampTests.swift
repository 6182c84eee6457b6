import NIOCore
import Testing

@testable import VoiceBench

@Suite struct AudioStampTests {
    @Test(arguments: [0, 1, 255, 1_234_567_890_123, UInt64.max])
    func aStampWrittenIntoAPayloadReadsBack(nanoseconds: UInt64) throws {
        let payload = AudioStamp.silentPayload(audioBytes: 160)
        var buffer = ByteBuffer(string: #"{"payload":""#)
        let offset = buffer.writerIndex
        buffer.writeBytes(payload)
        AudioStamp.write(nanoseconds, into: &buffer, at: offset)
        #expect(AudioStamp.read(from: buffer, at: offset) == nanoseconds)
        // Still base64 of 160 bytes of audio: only the first 12 characters changed.
        let stamped = try #require(buffer.getString(at: offset, length: payload.count))
        #expect(stamped.count == 216)
        #expect(Array(stamped.utf8).dropFirst(12) == payload.dropFirst(12))
    }

    @Test func textThatIsNotBase64HasNoStamp() {
        let buffer = ByteBuffer(string: #"not "base64"!"#)
        #expect(AudioStamp.read(from: buffer, at: 0) == nil)
        #expect(AudioStamp.read(from: ByteBuffer(string: "AAAA"), at: 0) == nil)
    }

    @Test func thisProcessCPUAndMemoryAreReadFromProc() throws {
        let stats = try ProcessStats.read()
        #expect(stats.residentBytes > 1024 * 1024)
        #expect(stats.cpuSeconds >= 0)
        #expect(throws: ProcessStats.Unavailable.self) { try ProcessStats.read(pid: Int32.max) }
    }
}
