import CImageCodecs
import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixServer
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import ImageDecoding
import Testing

/// Bad uploads give their typed error, quickly, and leave the pipeline healthy.
@Suite struct BadImageTests {
    static let cases: [(String, [UInt8], FaceMatrixError)] = {
        let jpeg = try! TestData.bytes("face_recognition/examples/obama.jpg")
        var random = SeededGenerator(seed: 42)
        return [
            ("empty", [], .invalidImage("the image is empty")),
            ("truncated JPEG", Array(jpeg.prefix(jpeg.count / 2)), .invalidImage("the image data is truncated")),
            ("random bytes", random.bytes(4096), .invalidImage("not a JPEG, PNG, WebP or HEIF image")),
            (
                "PNG header claiming 100000×100000", Encoders.pngHeaderOnly(width: 100_000, height: 100_000),
                .imageTooLarge("100000×100000 pixels exceeds the pixel limit of 40000000 pixels")
            ),
            (
                "text file named .jpg", Array("hello, this is not a photo\n".utf8),
                .invalidImage("not a JPEG, PNG, WebP or HEIF image")
            ),
        ]
    }()

    @Test(arguments: 0..<cases.count)
    func badInputGivesItsTypedError(index: Int) async throws {
        let (name, bytes, expected) = Self.cases[index]
        await #expect(throws: expected, "\(name)") {
            try await TestModels.pipeline.analyze(bytes)
        }
    }

    @Test func aPhotoOverTheByteLimitIsRejectedBeforeDecoding() async throws {
        var settings = PipelineSettings()
        settings.modelDirectory = TestModels.directory
        settings.imageLimits.maxBytes = 50_000
        let pipeline = try settings.makePipeline().0
        let bytes = try TestData.bytes("face_recognition/examples/obama.jpg")
        await #expect(throws: FaceMatrixError.imageTooLarge("the file exceeds the byte limit of 50000 bytes")) {
            try await pipeline.analyze(bytes)
        }
    }

    @Test func noiseHasNoFaceAndThePipelineStaysHealthy() async throws {
        let noise = try await TestModels.pipeline.analyze(try TestData.bytes("facenet-pytorch/test_images/noise/1.jpg"))
        #expect(noise.faces.isEmpty)
        for (_, bytes, _) in Self.cases { _ = try? await TestModels.pipeline.analyze(bytes) }
        let after = try await TestModels.pipeline.analyze(try TestData.bytes("face_recognition/examples/obama.jpg"))
        #expect(after.faces.count == 1)
    }

    /// A flat grey PNG of `width` × `height` pixels: the cheapest way to reach any size.
    static func grayPNG(width: Int, height: Int) throws -> [UInt8] {
        try Encoders.png(
            [UInt8](repeating: 128, count: width * height),
            width: width,
            height: height,
            options: .init(colorType: SPNG_COLOR_TYPE_GRAYSCALE)
        )
    }

    /// Sizes along and across the limits: degenerate strips, long sides around each working-image reduction
    /// step (2 × 1280 = 2560 and its multiples), the 4500×4500 PNG that once trapped the process (the working
    /// image stayed above the summed-area table's 16.8 MP), and just under the 40 MP pixel limit.
    static let sizesThatMustBeAnalyzed: [(Int, Int)] = [
        (1, 1), (11, 11), (12, 12), (1, 5000), (5000, 1), (2559, 2559), (2560, 2560), (2561, 2561),
        (5120, 100), (5121, 100), (100, 7681), (4500, 4500), (6324, 6324), (40_000, 1000),
    ]

    @Test(arguments: sizesThatMustBeAnalyzed)
    func everySizeWithinTheLimitsIsAnalyzedWithoutATrap(width: Int, height: Int) async throws {
        let analysis = try await TestModels.pipeline.analyze(try Self.grayPNG(width: width, height: height))
        #expect(analysis.faces.isEmpty)
        #expect(analysis.imageWidth == width && analysis.imageHeight == height)
    }

    /// The phone formats along their own edges: strips, a reduction step, the size that once trapped as a PNG,
    /// and (WebP, whose encoder is fast on flat grey) just under and just over the pixel limit.
    static let phoneFormatSizes: [(ImageFormat, Int, Int)] = [
        (.webp, 1, 1), (.webp, 1, 5000), (.webp, 5000, 1), (.webp, 2561, 2561), (.webp, 4500, 4500),
        (.webp, 6324, 6324), (.webp, 6325, 6325), (.heif, 1, 1), (.heif, 2, 3000), (.heif, 3000, 2),
        (.heif, 2561, 2561), (.heif, 8192, 16), (.heif, 8193, 16),
    ]

    @Test(arguments: phoneFormatSizes)
    func phoneFormatsAtEverySizeAreAnalyzedOrRefused(format: ImageFormat, width: Int, height: Int) async throws {
        let gray = [UInt8](repeating: 128, count: 3 * width * height)
        let bytes =
            format == .webp
            ? try Encoders.webp(gray, width: width, height: height, channels: 3, lossless: true)
            // x265 refuses sides above 8192; AV1 (the AVIF coding of HEIF) goes further.
            : try Encoders.heif(
                gray,
                width: width,
                height: height,
                channels: 3,
                quality: 50,
                compression: max(width, height) > 4096 ? heif_compression_AV1 : heif_compression_HEVC
            )
        // HEIF's own limit on a side (libheif does not check a stream's coded size against the declared one).
        if format == .heif && max(width, height) > 8192 {
            await #expect(throws: FaceMatrixError.invalidImage("the image data is corrupt")) {
                try await TestModels.pipeline.analyze(bytes)
            }
            return
        }
        guard width * height <= 40_000_000 else {
            await #expect(
                throws: FaceMatrixError.imageTooLarge(
                    "\(width)×\(height) pixels exceeds the pixel limit of 40000000 pixels"
                )
            ) {
                try await TestModels.pipeline.analyze(bytes)
            }
            return
        }
        let analysis = try await TestModels.pipeline.analyze(bytes)
        #expect(analysis.faces.isEmpty)
        #expect(analysis.imageWidth == width && analysis.imageHeight == height)
    }

    /// The other kinds a phone, a scanner or an editor hands over, each along and across the limits: strips, the
    /// reduction steps around 2560, just under and just over 40 MP.
    enum Kind: String, CaseIterable, Sendable {
        case grayJPEG, cmykJPEG, progressiveJPEG, rgbaPNG, palettePNG, sixteenBitPNG
    }

    static let kindSizes: [(Kind, Int, Int)] = Kind.allCases.flatMap { kind in
        [(1, 1), (1, 5000), (5000, 1), (2559, 2559), (2561, 2561), (6324, 6324), (6325, 6325)].map {
            (kind, $0.0, $0.1)
        }
    }

    /// A flat image of `kind` at `width` × `height`.
    static func flat(_ kind: Kind, width: Int, height: Int) throws -> [UInt8] {
        let count = width * height
        switch kind {
        case .grayJPEG:
            return try Encoders.jpeg(
                [UInt8](repeating: 120, count: count),
                width: width,
                height: height,
                pixelFormat: TJPF_GRAY,
                subsampling: TJSAMP_GRAY
            )
        case .cmykJPEG:
            return try Encoders.jpeg(
                [UInt8](repeating: 200, count: 4 * count),
                width: width,
                height: height,
                pixelFormat: TJPF_CMYK,
                subsampling: TJSAMP_444
            )
        case .progressiveJPEG:
            return try Encoders.jpeg(
                [UInt8](repeating: 90, count: 3 * count),
                width: width,
                height: height,
                pixelFormat: TJPF_RGB,
                flags: TJFLAG_PROGRESSIVE
            )
        case .rgbaPNG:
            return try Encoders.png(
                [UInt8](repeating: 128, count: 4 * count),
                width: width,
                height: height,
                options: .init(colorType: SPNG_COLOR_TYPE_TRUECOLOR_ALPHA)
            )
        case .palettePNG:
            return try Encoders.png(
                [UInt8](repeating: 0, count: count),
                width: width,
                height: height,
                options: .init(colorType: SPNG_COLOR_TYPE_INDEXED, palette: [(10, 20, 30)])
            )
        case .sixteenBitPNG:
            return try Encoders.png(
                [UInt8](repeating: 0x80, count: 6 * count),
                width: width,
                height: height,
                options: .init(bitDepth: 16, colorType: SPNG_COLOR_TYPE_TRUECOLOR)
            )
        }
    }

    @Test(arguments: kindSizes)
    func everyKindAtEverySizeIsAnalyzedOrRefused(kind: Kind, width: Int, height: Int) async throws {
        let bytes = try Self.flat(kind, width: width, height: height)
        guard width * height <= 40_000_000 else {
            await #expect(
                throws: FaceMatrixError.imageTooLarge(
                    "\(width)×\(height) pixels exceeds the pixel limit of 40000000 pixels"
                )
            ) { try await TestModels.pipeline.analyze(bytes) }
            return
        }
        let analysis = try await TestModels.pipeline.analyze(bytes)
        #expect(analysis.faces.isEmpty)
        #expect(analysis.imageWidth == width && analysis.imageHeight == height)
    }

    @Test func justOverThePixelLimitIsRefusedFromTheHeader() async throws {
        await #expect(
            throws: FaceMatrixError.imageTooLarge("6325×6325 pixels exceeds the pixel limit of 40000000 pixels")
        ) {
            try await TestModels.pipeline.analyze(try Self.grayPNG(width: 6325, height: 6325))
        }
    }
}
