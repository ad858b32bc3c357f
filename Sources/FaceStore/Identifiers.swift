import Foundation

/// An opaque, unguessable user id: "usr_" and 128 random bits in hex.
func newUserID() -> String {
    "usr_" + randomHex(bytes: 16)
}

/// Random bytes from the system's cryptographically secure generator, as lowercase hex.
///
/// - Parameter bytes: how many random bytes; the text is twice as long.
public func randomHex(bytes: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
}
