/// G.711 µ-law helpers for the fakes: what silence and speech look like, and how loud a frame is.
package enum MuLaw {
    /// Bytes per millisecond at 8 kHz.
    package static let bytesPerMillisecond = 8
    /// One 20 ms Twilio frame.
    package static let frameBytes = 160
    /// µ-law's zero: digital silence.
    package static let silenceByte: UInt8 = 0xFF

    package static func silence(milliseconds: Int) -> [UInt8] {
        [UInt8](repeating: silenceByte, count: milliseconds * bytesPerMillisecond)
    }

    /// A loud 400 Hz square wave, loud enough for any voice-activity detector.
    package static func tone(milliseconds: Int) -> [UInt8] {
        (0..<(milliseconds * bytesPerMillisecond)).map { index in (index / 10) % 2 == 0 ? 0x1F : 0x9F }
    }

    /// The linear value of a µ-law byte (ITU-T G.711).
    package static func linear(_ byte: UInt8) -> Int {
        let inverted = ~byte
        let exponent = Int((inverted >> 4) & 0x07)
        let mantissa = Int(inverted & 0x0F)
        let magnitude = ((mantissa << 3) + 0x84) << exponent - 0x84
        return inverted & 0x80 != 0 ? -magnitude : magnitude
    }

    /// Mean absolute amplitude of `bytes`, 0 for silence, up to about 32,000.
    package static func meanAmplitude(_ bytes: some Collection<UInt8>) -> Int {
        guard !bytes.isEmpty else { return 0 }
        return bytes.reduce(0) { $0 + abs(linear($1)) } / bytes.count
    }
}
