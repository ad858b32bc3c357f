import CImageCodecs
import FaceMatrixCore
import FaceMatrixTestSupport
import Foundation
import ImageDecoding
import Testing

/// WebP and HEIF, the formats phones and browsers hand over, built at run time from a real photo with libwebp and
/// libheif's own encoders.
@Suite("WebP and HEIF")
struct PhoneFormatTests {
    let decoder = ImageDecoder()

    /// 427×240: odd width, so transposition and edge mistakes show up.
    static func smallPhoto() throws -> RGBImage {
        try ImageDecoder().decode(TestData.bytes("face_recognition/examples/obama-240p.jpg")).image
    }

    /// The photo with an alpha channel: the left third opaque, the middle third half transparent, the right third
    /// fully transparent.
    static func withAlpha(_ photo: RGBImage) -> (rgba: [UInt8], overWhite: RGBImage) {
        var rgba: [UInt8] = []
        var overWhite: [UInt8] = []
        for index in 0..<(photo.width * photo.height) {
            let column = index % photo.width
            let alpha: UInt8 = column < photo.width / 3 ? 255 : column < 2 * photo.width / 3 ? 128 : 0
            let rgb = photo.pixels[3 * index..<3 * index + 3]
            rgba += rgb
            rgba.append(alpha)
            for sample in rgb {
                let blended: Int = Int(sample) * Int(alpha) + 255 * (255 - Int(alpha))
                overWhite.append(UInt8((blended + 127) / 255))
            }
        }
        return (rgba, RGBImage(width: photo.width, height: photo.height, pixels: overWhite))
    }

    @Test("Lossy WebP decodes to the photo it was made from")
    func lossyWebP() throws {
        let photo = try Self.smallPhoto()
        let webp = try Encoders.webp(photo.pixels, width: photo.width, height: photo.height, channels: 3)
        #expect(webp.withUnsafeBytes { ImageDecoder.format(of: $0) } == .webp)
        #expect(try decoder.probe(webp) == ImageHeader(format: .webp, width: 427, height: 240, exifOrientation: 1))
        let decoded = try decoder.decode(webp)
        #expect(decoded.format == .webp && decoded.image.width == 427 && decoded.image.height == 240)
        #expect(ImageMath.meanAbsoluteDifference(decoded.image, photo) < 4)
    }

    @Test("Lossless WebP with alpha is composited over white, exactly", arguments: [true, false])
    func webPWithAlpha(lossless: Bool) throws {
        let photo = try Self.smallPhoto()
        let (rgba, overWhite) = Self.withAlpha(photo)
        let webp = try Encoders.webp(rgba, width: photo.width, height: photo.height, channels: 4, lossless: lossless)
        let decoded = try decoder.decode(webp).image
        let difference = ImageMath.meanAbsoluteDifference(decoded, overWhite)
        #expect(lossless ? difference < 0.5 : difference < 4)
        // The transparent third is white whatever the encoder kept beneath it.
        #expect(ImageMath.pixel(decoded, photo.width - 1, photo.height / 2) == [255, 255, 255])
    }

    @Test("WebP's EXIF orientation is applied", arguments: [3, 6, 8])
    func webPOrientation(orientation: Int) throws {
        let photo = try Self.smallPhoto()
        let stored = ImageMath.stored(fromUpright: photo, orientation: orientation)
        let webp = try Encoders.webp(
            stored.pixels,
            width: stored.width,
            height: stored.height,
            channels: 3,
            lossless: true,
            exifTIFF: Encoders.tiffWithOrientation(UInt16(orientation), bigEndian: orientation == 8)
        )
        #expect(try decoder.probe(webp).exifOrientation == orientation)
        let decoded = try decoder.decode(webp)
        #expect(decoded.exifOrientation == orientation)
        #expect(decoded.image == photo)
    }

    @Test("HEIC decodes to the photo it was made from")
    func heic() throws {
        let photo = try Self.smallPhoto()
        let heic = try Encoders.heif(photo.pixels, width: photo.width, height: photo.height, channels: 3)
        #expect(heic.withUnsafeBytes { ImageDecoder.format(of: $0) } == .heif)
        #expect(try decoder.probe(heic) == ImageHeader(format: .heif, width: 427, height: 240, exifOrientation: 1))
        let decoded = try decoder.decode(heic)
        #expect(decoded.image.width == 427 && decoded.image.height == 240)
        #expect(ImageMath.meanAbsoluteDifference(decoded.image, photo) < 5)
    }

    @Test("A HEIC stored sideways is turned upright by its own rotation", arguments: [3, 6, 8])
    func rotatedHEIC(orientation: Int) throws {
        let photo = try Self.smallPhoto()
        let stored = ImageMath.stored(fromUpright: photo, orientation: orientation)
        let heic = try Encoders.heif(
            stored.pixels,
            width: stored.width,
            height: stored.height,
            channels: 3,
            orientation: orientation
        )
        // The header already reports the size as displayed.
        let header = try decoder.probe(heic)
        #expect(header.width == photo.width && header.height == photo.height)
        let decoded = try decoder.decode(heic)
        #expect(decoded.image.width == photo.width && decoded.image.height == photo.height)
        #expect(ImageMath.meanAbsoluteDifference(decoded.image, photo) < 5)
    }

    @Test("HEIC with alpha is composited over white")
    func heicWithAlpha() throws {
        let photo = try Self.smallPhoto()
        let (rgba, overWhite) = Self.withAlpha(photo)
        let heic = try Encoders.heif(rgba, width: photo.width, height: photo.height, channels: 4)
        let decoded = try decoder.decode(heic).image
        #expect(ImageMath.meanAbsoluteDifference(decoded, overWhite) < 5)
        #expect(ImageMath.pixel(decoded, photo.width - 1, photo.height / 2).allSatisfy { $0 >= 250 })
    }

    @Test("AVIF, the AV1 coding of HEIF, decodes too")
    func avif() throws {
        let photo = try Self.smallPhoto()
        let avif = try Encoders.heif(
            photo.pixels,
            width: photo.width,
            height: photo.height,
            channels: 3,
            compression: heif_compression_AV1
        )
        #expect(avif.withUnsafeBytes { ImageDecoder.format(of: $0) } == .heif)
        #expect(ImageMath.meanAbsoluteDifference(try decoder.decode(avif).image, photo) < 5)
    }

    @Test("The pixel limit is checked from the header", arguments: [ImageFormat.webp, .heif])
    func pixelLimit(format: ImageFormat) throws {
        let photo = try Self.smallPhoto()
        let bytes =
            format == .webp
            ? try Encoders.webp(photo.pixels, width: photo.width, height: photo.height, channels: 3)
            : try Encoders.heif(photo.pixels, width: photo.width, height: photo.height, channels: 3)
        let strict = ImageDecoder(limits: ImageLimits(maxPixels: 427 * 240 - 1))
        #expect(throws: ImageDecodingError.tooManyPixels(width: 427, height: 240, limit: 427 * 240 - 1)) {
            try strict.decode(bytes)
        }
        #expect(try ImageDecoder(limits: ImageLimits(maxPixels: 427 * 240)).decode(bytes).image.width == 427)
    }

    @Test(
        "Every truncation and a flipped byte anywhere give a typed error, never a crash",
        arguments: [
            ImageFormat.webp, .heif,
        ]
    )
    func damagedFiles(format: ImageFormat) throws {
        let photo = try Self.smallPhoto()
        let bytes =
            format == .webp
            ? try Encoders.webp(photo.pixels, width: photo.width, height: photo.height, channels: 3)
            : try Encoders.heif(photo.pixels, width: photo.width, height: photo.height, channels: 3)
        var generator = SeededGenerator(seed: 7)
        let cuts =
            [1, 4, 11, 12, 16, 30, 64, 200] + (0..<20).map { _ in Int.random(in: 1..<bytes.count, using: &generator) }
        for cut in cuts {
            #expect(throws: ImageDecodingError.self) { try decoder.decode(bytes[..<cut]) }
        }
        for _ in 0..<200 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &generator)] ^= UInt8.random(
                in: 1...255,
                using: &generator
            )
            // A flipped byte inside the compressed data may still decode; the point is that nothing traps.
            _ = try? decoder.decode(damaged)
        }
    }

    @Test("An ISO media file that is not an image, and a RIFF file that is not WebP, are not taken for images")
    func lookalikes() {
        let mp4: [UInt8] = [0, 0, 0, 0x18] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2".utf8)
        let wave: [UInt8] = Array("RIFF".utf8) + [36, 0, 0, 0] + Array("WAVEfmt ".utf8)
        #expect(throws: ImageDecodingError.unsupportedFormat) { try decoder.decode(mp4) }
        #expect(throws: ImageDecodingError.unsupportedFormat) { try decoder.decode(wave) }
    }

    /// Every input that ever crashed `make fuzz`'s image target (Tests/Fixtures/fuzz/FuzzImagePipeline):
    /// - heif-error-message-after-free: libheif refuses the container; its error message lived in the context, which
    ///   was freed before the message was read (AddressSanitizer: heap-use-after-free);
    /// - heif-grid-refers-to-itself: a grid whose tile is the grid itself; libheif 1.15 recursed until the stack ran
    ///   out and the process died;
    /// - heif-coded-size-beyond-declared: declares 96×64 but codes 59621×64021; libheif allocated 3.8 GB.
    /// Each must now give a typed error. The fuzz runs replay them under AddressSanitizer too.
    static let fuzzFindings: [String] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz/FuzzImagePipeline")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0).path }
    }()

    @Test(arguments: fuzzFindings)
    func everyInputThatOnceCrashedGivesATypedError(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(throws: ImageDecodingError.self) { try decoder.decode(bytes) }
    }

    @Test func theFuzzFindingsAreThere() {
        #expect(Self.fuzzFindings.count >= 3)
    }
}
