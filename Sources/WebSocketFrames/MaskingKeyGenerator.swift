/// Masking keys for a client's WebSocket frames, from a generator seeded once from the system's random source.
///
/// RFC 6455 asks a client to mask each frame with a fresh, unpredictable key, so that a payload chosen by someone
/// else cannot be made to look like a request to a proxy on the way. `WebSocketMaskingKey.random()` reads the
/// system's source for every frame: a `getrandom` call per relayed audio frame. This SplitMix64 generator draws
/// its seed from that source once per connection and steps on its own after that.
package struct MaskingKeyGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    /// A generator that starts from `seed`: the same keys each time, for tests.
    package init(seed: UInt64) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
