/// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast generator whose sequence depends only on its seed, so
/// every evaluation run draws the same galleries and a failing test can be replayed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64

    /// Starts the sequence at `seed`; equal seeds give equal sequences.
    public init(seed: UInt64) { state = seed }

    /// The next 64 pseudo-random bits: the state advanced by the golden-ratio increment, then mixed.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
