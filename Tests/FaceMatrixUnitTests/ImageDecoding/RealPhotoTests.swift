import CImageCodecs
import FaceMatrixTestSupport
import ImageDecoding
import Testing

@Suite("Real photos")
struct RealPhotoTests {
    let decoder = ImageDecoder()

    @Test(
        "JPEG dimensions and probe agree",
        arguments: [
            ("face_recognition/examples/obama.jpg", 910, 1137),
            ("face_recognition/examples/obama-1080p.jpg", 1920, 1080),
            ("face_recognition/examples/two_people.jpg", 1126, 661),
            ("lfw/images/Hal_Sutton/Hal_Sutton_0001.jpg", 250, 250),
        ]
    )
    func jpegDimensions(path: String, width: Int, height: Int) throws {
        let bytes = try TestData.bytes(path)
        let decoded = try decoder.decode(bytes)
        #expect(decoded.format == .jpeg)
        #expect(decoded.image.width == width && decoded.image.height == height)
        #expect(decoded.originalWidth == width && decoded.originalHeight == height)
        #expect(decoded.image.pixels.count == 3 * width * height)
        #expect(decoded.decodeScale == 1)
        #expect(decoded.exifOrientation == 1)

        let header = try decoder.probe(bytes)
        #expect(header == ImageHeader(format: .jpeg, width: width, height: height, exifOrientation: 1))
    }

    @Test("JPEG pixels match TurboJPEG decoding straight to BGRX")
    func jpegMatchesIndependentPixelFormat() throws {
        // A different output pixel format exercises a different libjpeg-turbo colour-conversion path and would
        // expose a channel-order or row-stride mistake in the module.
        let bytes = try TestData.bytes("face_recognition/examples/obama.jpg")
        let decoded = try decoder.decode(bytes).image
        let (width, height, bgrx) = try Encoders.turboDecode(bytes, pixelFormat: TJPF_BGRX, channels: 4)
        #expect(width == decoded.width && height == decoded.height)
        var maximumDifference = 0
        for index in 0..<(width * height) {
            for channel in 0..<3 {
                let expected = Int(bgrx[4 * index + (2 - channel)])
                maximumDifference = max(maximumDifference, abs(Int(decoded.pixels[3 * index + channel]) - expected))
            }
        }
        #expect(maximumDifference == 0)
    }

    @Test("A portrait has plausible brightness and contrast")
    func plausibleStatistics() throws {
        let image = try decoder.decode(TestData.bytes("face_recognition/examples/obama.jpg")).image
        let mean = ImageMath.mean(image)
        #expect(mean > 40 && mean < 215)
        #expect(ImageMath.standardDeviation(image) > 20)
        // Colour photo: the channels must not all be equal.
        var coloredPixels = 0
        for offset in stride(from: 0, to: image.pixels.count, by: 3) {
            let rgb = image.pixels[offset..<offset + 3]
            if rgb.min() != rgb.max() {
                coloredPixels += 1
            }
        }
        #expect(coloredPixels > image.width * image.height / 2)
    }

    @Test(
        "DCT scaling picks the smallest scale that keeps the longer side at least maxWorkingSide",
        arguments: [
            (nil, 1920, 1080, 1.0), (2000, 1920, 1080, 1.0), (1920, 1920, 1080, 1.0), (1000, 1920, 1080, 1.0),
            (960, 960, 540, 0.5), (500, 960, 540, 0.5), (480, 480, 270, 0.25), (400, 480, 270, 0.25),
            (240, 240, 135, 0.125), (10, 240, 135, 0.125),
        ] as [(Int?, Int, Int, Double)]
    )
    func dctScaleChoice(maxWorkingSide: Int?, width: Int, height: Int, scale: Double) throws {
        let bytes = try TestData.bytes("face_recognition/examples/obama-1080p.jpg")
        let decoded = try decoder.decode(bytes, maxWorkingSide: maxWorkingSide)
        #expect(decoded.image.width == width && decoded.image.height == height)
        #expect(decoded.decodeScale == scale)
        #expect(decoded.originalWidth == 1920 && decoded.originalHeight == 1080)
    }

    @Test("Half-scale DCT decoding resembles a box-downsampled full decode")
    func halfScaleResemblesDownsample() throws {
        let bytes = try TestData.bytes("face_recognition/examples/obama.jpg")
        let full = try decoder.decode(bytes).image
        let half = try decoder.decode(bytes, maxWorkingSide: 500)
        #expect(half.decodeScale == 0.5)
        #expect(half.image.width == (full.width + 1) / 2 && half.image.height == (full.height + 1) / 2)
        let reference = ImageMath.boxDownsample(full, by: 2)
        let difference = ImageMath.meanAbsoluteDifference(half.image, reference)
        #expect(difference < 3, "mean absolute difference \(difference)")
    }

    @Test("RGBA PNG is composited over white exactly as alpha blending defines")
    func rgbaCompositing() throws {
        for path in ["face_recognition/tests/test_images/32bit.png", "face_recognition/examples/alex-lacamoire.png"] {
            let bytes = try TestData.bytes(path)
            let decoded = try decoder.decode(bytes)
            let (width, height, rgba) = try Encoders.spngDecodeRGBA(bytes)
            #expect(decoded.format == .png)
            #expect(decoded.image.width == width && decoded.image.height == height)
            var maximumDifference = 0.0
            for index in 0..<(width * height) {
                let alpha = Double(rgba[4 * index + 3]) / 255
                for channel in 0..<3 {
                    let expected = Double(rgba[4 * index + channel]) * alpha + 255 * (1 - alpha)
                    let actual = Double(decoded.image.pixels[3 * index + channel])
                    maximumDifference = max(maximumDifference, abs(actual - expected))
                }
            }
            #expect(maximumDifference <= 0.5 + 1e-9, "\(path): max difference \(maximumDifference)")
        }
    }

    @Test("Fully transparent PNG pixels become white")
    func transparentBecomesWhite() throws {
        let bytes = try TestData.bytes("face_recognition/tests/test_images/32bit.png")
        let (width, height, rgba) = try Encoders.spngDecodeRGBA(bytes)
        let image = try decoder.decode(bytes).image
        let transparent = (0..<(width * height)).filter { rgba[4 * $0 + 3] == 0 }
        for index in transparent.prefix(10_000) {
            #expect(image.pixels[3 * index..<3 * index + 3].allSatisfy { $0 == 255 })
        }
    }

    @Test("Opaque RGB PNG decodes to its stored samples")
    func opaquePNG() throws {
        let bytes = try TestData.bytes("facenet-pytorch/test_images_aligned/paul_rudd/1.png")
        let decoded = try decoder.decode(bytes)
        let (width, height, rgba) = try Encoders.spngDecodeRGBA(bytes)
        #expect(decoded.image.width == 160 && width == 160 && height == 160)
        for index in 0..<(width * height) {
            guard decoded.image.pixels[3 * index..<3 * index + 3].elementsEqual(rgba[4 * index..<4 * index + 3])
            else {
                Issue.record("pixel \(index) differs")
                return
            }
        }
        #expect(try decoder.probe(bytes) == ImageHeader(format: .png, width: 160, height: 160, exifOrientation: 1))
    }

    @Test("Every photo in the test data decodes, and probe agrees with decode")
    func wholeDataSet() throws {
        let paths = try TestData.allImagePaths()
        #expect(paths.count > 1000)
        for path in paths {
            let bytes = try TestData.bytes(path)
            do {
                let header = try decoder.probe(bytes)
                let decoded = try decoder.decode(bytes)
                #expect(header.width == decoded.originalWidth && header.height == decoded.originalHeight, "\(path)")
                #expect(header.exifOrientation == decoded.exifOrientation, "\(path)")
                #expect(decoded.image.width == header.uprightWidth, "\(path)")
                #expect(decoded.image.height == header.uprightHeight, "\(path)")
            } catch {
                Issue.record("\(path): \(error)")
            }
        }
    }

    @Test("Concurrent decodes give the same results as sequential ones")
    func concurrentDecoding() async throws {
        let paths = [
            "face_recognition/examples/obama.jpg", "face_recognition/examples/obama-480p.jpg",
            "face_recognition/examples/alex-lacamoire.png", "face_recognition/examples/two_people.jpg",
            "lfw/images/Hal_Sutton/Hal_Sutton_0001.jpg", "facenet-pytorch/test_images_aligned/kate_siegel/1.png",
        ]
        let inputs = try paths.map { try TestData.bytes($0) }
        let decoder = self.decoder
        let expected = try inputs.map { try decoder.decode($0, maxWorkingSide: 400) }
        try await withThrowingTaskGroup(of: (Int, DecodedImage).self) { group in
            for round in 0..<4 {
                for index in inputs.indices {
                    let input = inputs[(index + round) % inputs.count]
                    let slot = (index + round) % inputs.count
                    group.addTask { (slot, try decoder.decode(input, maxWorkingSide: 400)) }
                }
            }
            for try await (slot, decoded) in group {
                #expect(decoded == expected[slot])
            }
        }
    }

    @Test("Collections that are not arrays decode too")
    func otherCollections() throws {
        let bytes = try TestData.bytes("lfw/images/Hal_Sutton/Hal_Sutton_0001.jpg")
        let fromArray = try decoder.decode(bytes)
        let fromSlice = try decoder.decode(([0] + bytes)[1...])
        let fromBuffer = try bytes.withUnsafeBytes { try decoder.decode($0) }
        let fromNonContiguous = try decoder.decode(bytes.lazy.map { $0 })
        #expect(fromSlice == fromArray && fromBuffer == fromArray && fromNonContiguous == fromArray)
    }
}
