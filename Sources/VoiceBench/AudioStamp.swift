import Foundation
import NIOCore

/// A send time carried inside a base64 audio payload, so that relay latency can be measured end to end without
/// any side channel: the first 9 bytes of the audio (12 base64 characters) hold the sender's monotonic clock in
/// nanoseconds. The server relays payloads untouched, so the stamp arrives as it left.
enum AudioStamp {
    /// Bytes of audio the stamp takes: 8 for the time, 1 to fill a whole base64 group.
    static let stampedBytes = 9
    /// Base64 characters the stamp takes.
    static let stampedCharacters = 12

    /// The base64 payload of `audioBytes` bytes of µ-law silence, to be stamped per frame.
    static func silentPayload(audioBytes: Int) -> [UInt8] {
        Array(Data(repeating: 0xFF, count: audioBytes).base64EncodedString().utf8)
    }

    /// The monotonic clock (`CLOCK_MONOTONIC`, the same in every process on this machine), in nanoseconds.
    static func now() -> UInt64 {
        NIODeadline.now().uptimeNanoseconds
    }

    /// Writes the stamp for `nanoseconds` over the first 12 characters of a base64 payload at `offset`.
    static func write(_ nanoseconds: UInt64, into buffer: inout ByteBuffer, at offset: Int) {
        var bytes = [UInt8](repeating: 0xFF, count: stampedBytes)
        for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: nanoseconds >> (56 - 8 * UInt64(index))) }
        var written = offset
        for group in stride(from: 0, to: stampedBytes, by: 3) {
            let value = UInt32(bytes[group]) << 16 | UInt32(bytes[group + 1]) << 8 | UInt32(bytes[group + 2])
            for shift in [18, 12, 6, 0] {
                buffer.setInteger(alphabet[Int((value >> UInt32(shift)) & 0x3F)], at: written)
                written += 1
            }
        }
    }

    /// The stamp at the start of the base64 payload at `offset`, or `nil` if those characters are not base64.
    static func read(from buffer: ByteBuffer, at offset: Int) -> UInt64? {
        guard let characters = buffer.getBytes(at: offset, length: stampedCharacters) else { return nil }
        var nanoseconds: UInt64 = 0
        var decodedBytes = 0
        for group in stride(from: 0, to: stampedCharacters, by: 4) {
            var value: UInt32 = 0
            for character in characters[group..<group + 4] {
                let sextet = decoding[Int(character)]
                guard sextet != 0xFF else { return nil }
                value = value << 6 | UInt32(sextet)
            }
            for shift in [16, 8, 0] where decodedBytes < 8 {
                nanoseconds = nanoseconds << 8 | UInt64((value >> UInt32(shift)) & 0xFF)
                decodedBytes += 1
            }
        }
        return nanoseconds
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let decoding: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()
}
