import FaceMatrixCore
import FaceMatrixTestSupport
import ImageDecoding
import Testing

/// Hostile and broken inputs must produce typed errors, never a crash, a hang or silently wrong pixels.
@Suite("Malformed input")
struct MalformedInputTests {
    let decoder = ImageDecoder()

    private func decodeError(_ bytes: [UInt8], decoder: ImageDecoder? = nil) -> ImageDecodingError? {
        do {
            _ = try (decoder ?? self.decoder).decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    private static func isTruncatedOrCorrupt(_ error: ImageDecodingError?) -> Bool {
        switch error {
        case .truncated, .corrupt: true
        default: false
        }
    }

    @Test("Empty input")
    func empty() {
        #expect(decodeError([]) == .empty)
        #expect(throws: ImageDecodingError.empty) { try decoder.probe([UInt8]()) }
    }

    @Test("Unrecognised content", arguments: 0..<8)
    func unsupported(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var bytes = generator.bytes(Int(seed) * 97 + 1)
        bytes[0] = 0x42  // neither 0xFF nor 0x89
        #expect(decodeError(bytes) == .unsupportedFormat)
    }

    @Test("Text and near-miss signatures")
    func textAndNearMisses() {
        let text = Array("Name,Faces\nobama.jpg,1\n<html><body>not an image</body></html>\n".utf8)
        #expect(decodeError(text) == .unsupportedFormat)
        #expect(decodeError([0xFF, 0xD8]) == .unsupportedFormat)  // too short to carry the JPEG magic
        #expect(decodeError([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A]) == .unsupportedFormat)
        #expect(decodeError([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0B, 0, 0]) == .unsupportedFormat)
        #expect(decodeError(Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 32)) == .unsupportedFormat)
        #expect(throws: ImageDecodingError.unsupportedFormat) { try decoder.probe(text) }
    }

    @Test("Byte limit is checked before anything else")
    func byteLimit() throws {
        let bytes = try TestData.bytes("face_recognition/examples/obama.jpg")
        let strict = ImageDecoder(limits: ImageLimits(maxBytes: 1000))
        #expect(decodeError(bytes, decoder: strict) == .tooManyBytes(limit: 1000))
        #expect(throws: ImageDecodingError.tooManyBytes(limit: 1000)) { try strict.probe(bytes) }
        // The limit applies even to content that is not an image at all.
        #expect(decodeError([UInt8](repeating: 0x41, count: 1001), decoder: strict) == .tooManyBytes(limit: 1000))
        #expect(throws: ImageDecodingError.tooManyBytes(limit: 1000)) { try strict.decode(bytes.lazy.map { $0 }) }
    }

    @Test("Pixel limit uses the stored size, whatever the requested scale")
    func jpegPixelLimit() throws {
        let bytes = try TestData.bytes("face_recognition/examples/obama.jpg")
        let strict = ImageDecoder(limits: ImageLimits(maxPixels: 100_000))
        #expect(decodeError(bytes, decoder: strict) == .tooManyPixels(width: 910, height: 1137, limit: 100_000))
        #expect(throws: ImageDecodingError.tooManyPixels(width: 910, height: 1137, limit: 100_000)) {
            try strict.decode(bytes, maxWorkingSide: 10)
        }
        // A probe reports the size instead of refusing it.
        #expect(try strict.probe(bytes).width == 910)
    }

    @Test("A JPEG frame header claiming 65000×65000 is refused before decoding")
    func hugeJPEGHeader() throws {
        var bytes = try TestData.bytes("lfw/images/Hal_Sutton/Hal_Sutton_0001.jpg")
        // Patch the SOF0 frame header: marker, length (2), precision (1), height (2), width (2).
        let sof = try #require((0..<bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFD, 0xE8, 0xFD, 0xE8])
        #expect(decodeError(bytes) == .tooManyPixels(width: 65000, height: 65000, limit: 40_000_000))
    }

    @Test("A PNG header claiming 100000×100000 is refused from the header alone")
    func hugePNGHeader() throws {
        let bytes = Encoders.pngHeaderOnly(width: 100_000, height: 100_000)
        #expect(decodeError(bytes) == .tooManyPixels(width: 100_000, height: 100_000, limit: 40_000_000))
        #expect(
            try decoder.probe(bytes) == ImageHeader(format: .png, width: 100_000, height: 100_000, exifOrientation: 1)
        )
        // One side alone over the budget trips libspng's own limit; the error must still carry the header's size.
        let wide = Encoders.pngHeaderOnly(width: 50_000_000, height: 1)
        #expect(decodeError(wide) == .tooManyPixels(width: 50_000_000, height: 1, limit: 40_000_000))
    }

    @Test("A PNG header with a bad CRC is corrupt")
    func pngBadHeaderCRC() {
        var bytes = Encoders.pngHeaderOnly(width: 10, height: 10)
        bytes[29] ^= 0xFF  // first CRC byte of IHDR
        #expect(Self.isTruncatedOrCorrupt(decodeError(bytes)))
    }

    // Two bytes are too few to carry the 3-byte magic, so they are rightly `.unsupportedFormat`.
    @Test("Truncated JPEG", arguments: [3, 4, 20, 200, 2_000])
    func truncatedJPEGPrefix(length: Int) throws {
        let bytes = try TestData.bytes("face_recognition/examples/obama.jpg")
        let error = decodeError(Array(bytes[..<length]))
        #expect(Self.isTruncatedOrCorrupt(error), "\(String(describing: error))")
    }

    @Test("JPEG cut anywhere, including just before EOI, is never accepted")
    func truncatedJPEGEverywhere() throws {
        let bytes = try TestData.bytes("face_recognition/examples/obama-240p.jpg")
        #expect(decodeError(Array(bytes[..<(bytes.count / 2)])) == .truncated)
        for length in stride(from: 5, to: bytes.count, by: max(bytes.count / 97, 1)) + [bytes.count - 1] {
            let error = decodeError(Array(bytes[..<length]))
            #expect(Self.isTruncatedOrCorrupt(error), "cut at \(length): \(String(describing: error))")
        }
    }

    @Test("Truncated PNG", arguments: [0.1, 0.5, 0.9, 0.999])
    func truncatedPNG(fraction: Double) throws {
        let bytes = try TestData.bytes("face_recognition/examples/alex-lacamoire.png")
        let error = decodeError(Array(bytes[..<Int(Double(bytes.count) * fraction)]))
        #expect(Self.isTruncatedOrCorrupt(error), "\(String(describing: error))")
    }

    @Test("Random data behind a JPEG magic", arguments: 0..<16)
    func randomAfterJPEGMagic(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let bytes = [0xFF, 0xD8, 0xFF] + generator.bytes(Int(seed) * 131 + 1)
        #expect(Self.isTruncatedOrCorrupt(decodeError(bytes)))
    }

    @Test("Random data behind a PNG signature", arguments: 0..<16)
    func randomAfterPNGSignature(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let bytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + generator.bytes(Int(seed) * 131 + 1)
        #expect(Self.isTruncatedOrCorrupt(decodeError(bytes)))
    }

    @Test("A flipped byte in PNG image data fails the CRC")
    func pngFlippedByte() throws {
        var bytes = try TestData.bytes("facenet-pytorch/test_images_aligned/kate_siegel/1.png")
        bytes[bytes.count / 2] ^= 0x5A
        #expect(Self.isTruncatedOrCorrupt(decodeError(bytes)))
    }

    @Test("Damaged JPEG data never crashes")
    func jpegFuzz() throws {
        // Entropy-coded data has no checksum, so some damage decodes "successfully"; the requirement here is
        // only that every outcome is a value or a typed error.
        let original = try TestData.bytes("lfw/images/Hal_Sutton/Hal_Sutton_0001.jpg")
        var generator = SeededGenerator(seed: 42)
        var failures = 0
        for _ in 0..<200 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let position = Int.random(in: 3..<bytes.count, using: &generator)
                bytes[position] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                let decoded = try decoder.decode(bytes)
                #expect(decoded.image.pixels.count == 3 * decoded.image.width * decoded.image.height)
            } catch {
                failures += 1
            }
        }
        #expect(failures > 0)
    }

    @Test("Damaged PNG data never crashes")
    func pngFuzz() throws {
        let original = try TestData.bytes("facenet-pytorch/test_images_aligned/kate_siegel/1.png")
        var generator = SeededGenerator(seed: 43)
        for _ in 0..<100 {
            var bytes = original
            let position = Int.random(in: 8..<bytes.count, using: &generator)
            bytes[position] ^= UInt8.random(in: 1...255, using: &generator)
            #expect(Self.isTruncatedOrCorrupt(decodeError(bytes)))
        }
    }
}
