import CImageCodecs
import FaceMatrixCore
import FaceMatrixTestSupport
import ImageDecoding
import Testing

/// Variants of real photos produced at test time: colour spaces, bit depths, palettes and EXIF orientations.
@Suite("Generated variants")
struct GeneratedVariantTests {
    let decoder = ImageDecoder()

    /// A small, non-square photo (427×240, odd width) so that transposition and edge mistakes show up.
    static func smallPhoto() throws -> RGBImage {
        try ImageDecoder().decode(TestData.bytes("face_recognition/examples/obama-240p.jpg")).image
    }

    @Test("Greyscale JPEG expands to equal RGB channels matching libjpeg's own greyscale output")
    func grayscaleJPEG() throws {
        let photo = try Self.smallPhoto()
        let luma = stride(from: 0, to: photo.pixels.count, by: 3).map { offset in
            let weighted =
                299 * Int(photo.pixels[offset]) + 587 * Int(photo.pixels[offset + 1]) + 114
                * Int(photo.pixels[offset + 2])
            return UInt8((weighted + 500) / 1000)
        }
        let jpeg = try Encoders.jpeg(
            luma,
            width: photo.width,
            height: photo.height,
            pixelFormat: TJPF_GRAY,
            subsampling: TJSAMP_GRAY
        )
        let decoded = try decoder.decode(jpeg).image
        let (_, _, gray) = try Encoders.turboDecode(jpeg, pixelFormat: TJPF_GRAY, channels: 1)
        #expect(decoded.width == photo.width && decoded.height == photo.height)
        for index in 0..<(photo.width * photo.height) {
            let rgb = decoded.pixels[3 * index..<3 * index + 3]
            guard rgb.allSatisfy({ $0 == gray[index] }) else {
                Issue.record("pixel \(index): \(Array(rgb)) vs grey \(gray[index])")
                return
            }
        }
    }

    @Test("Adobe YCCK JPEG (inverted CMYK) converts back to the original colours")
    func cmykJPEG() throws {
        let photo = try Self.smallPhoto()
        // Adobe convention, which libjpeg-turbo also uses: samples are 255 minus the ink amount, so with
        // K' = max(R, G, B) the colour is recovered as C' * K' / 255.
        var cmyk: [UInt8] = []
        cmyk.reserveCapacity(4 * photo.width * photo.height)
        for offset in stride(from: 0, to: photo.pixels.count, by: 3) {
            let rgb = photo.pixels[offset..<offset + 3].map(Int.init)
            let black = rgb.max()!
            for value in rgb {
                cmyk.append(black == 0 ? 255 : UInt8((value * 255 + black / 2) / black))
            }
            cmyk.append(UInt8(black))
        }
        let jpeg = try Encoders.jpeg(
            cmyk,
            width: photo.width,
            height: photo.height,
            pixelFormat: TJPF_CMYK,
            subsampling: TJSAMP_444
        )
        #expect(try decoder.probe(jpeg).format == .jpeg)
        let decoded = try decoder.decode(jpeg)
        #expect(decoded.image.width == photo.width && decoded.image.height == photo.height)
        let difference = ImageMath.meanAbsoluteDifference(decoded.image, photo)
        #expect(difference < 3, "mean absolute difference \(difference)")

        let half = try decoder.decode(jpeg, maxWorkingSide: 200)
        #expect(half.decodeScale == 0.5)
        let halfDifference = ImageMath.meanAbsoluteDifference(half.image, ImageMath.boxDownsample(photo, by: 2))
        #expect(halfDifference < 4, "mean absolute difference at 1/2 \(halfDifference)")
    }

    @Test("Progressive JPEG decodes like the baseline one, also scaled and when cut short")
    func progressiveJPEG() throws {
        let photo = try Self.smallPhoto()
        let progressive = try Encoders.jpeg(
            photo.pixels,
            width: photo.width,
            height: photo.height,
            pixelFormat: TJPF_RGB,
            flags: TJFLAG_PROGRESSIVE
        )
        let baseline = try Encoders.jpeg(photo.pixels, width: photo.width, height: photo.height, pixelFormat: TJPF_RGB)
        let fromProgressive = try decoder.decode(progressive)
        let fromBaseline = try decoder.decode(baseline)
        // Same quantisation, so only rounding differs between the two entropy codings.
        #expect(ImageMath.meanAbsoluteDifference(fromProgressive.image, fromBaseline.image) < 0.5)
        let quarter = try decoder.decode(progressive, maxWorkingSide: 100)
        #expect(quarter.decodeScale == 0.25)
        #expect(quarter.image.width == (photo.width + 3) / 4 && quarter.image.height == photo.height / 4)

        // A progressive file cut short still holds a complete but blurry image; it must not pass as valid.
        #expect(throws: ImageDecodingError.truncated) {
            try decoder.decode(Array(progressive[..<(progressive.count * 3 / 4)]))
        }
    }

    @Test("Interlaced (Adam7) PNG decodes to the same pixels")
    func interlacedPNG() throws {
        let photo = try Self.smallPhoto()
        var options = Encoders.PNGOptions()
        options.interlaced = true
        let png = try Encoders.png(photo.pixels, width: photo.width, height: photo.height, options: options)
        #expect(png[28] == 1, "IHDR interlace method")
        let decoded = try decoder.decode(png, maxWorkingSide: 100)
        // DCT scaling does not exist for PNG, so the request is ignored rather than approximated.
        #expect(decoded.decodeScale == 1)
        #expect(decoded.image == photo)
    }

    @Test("16-bit RGB PNG decodes to the high bytes")
    func sixteenBitPNG() throws {
        let photo = try Self.smallPhoto()
        // Low bytes differ from high bytes so that using the wrong byte of a sample is visible.
        var samples: [UInt8] = []
        for value in photo.pixels {
            let sample = UInt16(value) << 8 | UInt16(255 - value)
            withUnsafeBytes(of: sample) { samples += $0 }  // host byte order, as SPNG_FMT_PNG expects
        }
        var options = Encoders.PNGOptions()
        options.bitDepth = 16
        let png = try Encoders.png(samples, width: photo.width, height: photo.height, options: options)
        let decoded = try decoder.decode(png)
        #expect(decoded.image == photo)
    }

    @Test("16-bit RGBA PNG is composited over white")
    func sixteenBitRGBAPNG() throws {
        let photo = try Self.smallPhoto()
        var samples: [UInt8] = []
        for index in 0..<(photo.width * photo.height) {
            for channel in 0..<3 {
                withUnsafeBytes(of: UInt16(photo.pixels[3 * index + channel]) * 257) { samples += $0 }
            }
            let alpha: UInt16 = index % photo.width < photo.width / 2 ? 0xFFFF : 0  // left half opaque
            withUnsafeBytes(of: alpha) { samples += $0 }
        }
        var options = Encoders.PNGOptions()
        options.bitDepth = 16
        options.colorType = SPNG_COLOR_TYPE_TRUECOLOR_ALPHA
        let png = try Encoders.png(samples, width: photo.width, height: photo.height, options: options)
        let decoded = try decoder.decode(png).image
        var mismatches = 0
        for y in 0..<photo.height {
            for x in 0..<photo.width {
                let want = x < photo.width / 2 ? ImageMath.pixel(photo, x, y) : [255, 255, 255]
                if ImageMath.pixel(decoded, x, y) != want {
                    mismatches += 1
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("Grey+alpha PNG composites grey over white")
    func grayAlphaPNG() throws {
        let photo = try Self.smallPhoto()
        var samples: [UInt8] = []
        var expected: [UInt8] = []
        for index in 0..<(photo.width * photo.height) {
            let gray = photo.pixels[3 * index + 1]
            let alpha = UInt8(index % 256)
            samples += [gray, alpha]
            let blended = (Double(gray) * Double(alpha) + 255 * Double(255 - alpha)) / 255
            expected += Array(repeating: UInt8(blended.rounded()), count: 3)
        }
        var options = Encoders.PNGOptions()
        options.colorType = SPNG_COLOR_TYPE_GRAYSCALE_ALPHA
        let png = try Encoders.png(samples, width: photo.width, height: photo.height, options: options)
        let decoded = try decoder.decode(png).image
        #expect(decoded == RGBImage(width: photo.width, height: photo.height, pixels: expected))
    }

    @Test("Palette PNG, with and without tRNS, maps indices to colours")
    func palettePNG() throws {
        let photo = try Self.smallPhoto()
        // A 3-3-2 bit colour cube: a lossy but deterministic palette for a photo.
        let palette: [(UInt8, UInt8, UInt8)] = (0..<256).map { (index: Int) -> (UInt8, UInt8, UInt8) in
            let red: Int = (index >> 5) * 255 / 7
            let green: Int = ((index >> 2) & 7) * 255 / 7
            let blue: Int = (index & 3) * 255 / 3
            return (UInt8(red), UInt8(green), UInt8(blue))
        }
        var indices: [UInt8] = []
        var expectedOpaque: [UInt8] = []
        for offset in stride(from: 0, to: photo.pixels.count, by: 3) {
            let red = Int(photo.pixels[offset]) * 7 / 255
            let green = Int(photo.pixels[offset + 1]) * 7 / 255
            let blue = Int(photo.pixels[offset + 2]) * 3 / 255
            let index = red << 5 | green << 2 | blue
            indices.append(UInt8(index))
            expectedOpaque += [palette[index].0, palette[index].1, palette[index].2]
        }
        var options = Encoders.PNGOptions()
        options.colorType = SPNG_COLOR_TYPE_INDEXED
        options.palette = palette
        let opaque = try Encoders.png(indices, width: photo.width, height: photo.height, options: options)
        #expect(try decoder.decode(opaque).image.pixels == expectedOpaque)

        // Palette entries with even indices become fully transparent, so those pixels must turn white.
        options.paletteAlpha = (0..<256).map { $0 % 2 == 0 ? 0 : 255 }
        let transparent = try Encoders.png(indices, width: photo.width, height: photo.height, options: options)
        var expectedTransparent = expectedOpaque
        for (pixel, index) in indices.enumerated() where index % 2 == 0 {
            expectedTransparent.replaceSubrange(3 * pixel..<3 * pixel + 3, with: [255, 255, 255])
        }
        #expect(try decoder.decode(transparent).image.pixels == expectedTransparent)
    }

    @Test("EXIF-oriented JPEGs decode upright", arguments: 1...8)
    func orientedJPEG(orientation: Int) throws {
        let upright = try Self.smallPhoto()
        let stored = ImageMath.stored(fromUpright: upright, orientation: orientation)
        let plain = try Encoders.jpeg(stored)
        for bigEndian in [false, true] {
            let jpeg = Encoders.insertingExifOrientation(UInt16(orientation), into: plain, bigEndian: bigEndian)
            let header = try decoder.probe(jpeg)
            #expect(header.exifOrientation == orientation)
            #expect(header.width == stored.width && header.height == stored.height)
            #expect(header.uprightWidth == upright.width && header.uprightHeight == upright.height)

            let decoded = try decoder.decode(jpeg)
            #expect(decoded.exifOrientation == orientation)
            #expect(decoded.originalWidth == stored.width && decoded.originalHeight == stored.height)
            #expect(decoded.image.width == upright.width && decoded.image.height == upright.height)
            let difference = ImageMath.meanAbsoluteDifference(decoded.image, upright)
            #expect(difference < 3, "orientation \(orientation): mean absolute difference \(difference)")

            // Scaling and orientation combine: the half-size result is the stored picture at half size, turned
            // upright. Downsampling happens in stored coordinates because that is where libjpeg's 8×8 block grid
            // lies; with an odd width, a grid anchored on the upright side would be off by one pixel.
            let half = try decoder.decode(jpeg, maxWorkingSide: 200)
            #expect(half.decodeScale == 0.5)
            let storedHalf = ImageMath.boxDownsample(try decoder.decode(plain).image, by: 2)
            let inverse = orientation == 6 ? 8 : orientation == 8 ? 6 : orientation
            let reference = ImageMath.stored(fromUpright: storedHalf, orientation: inverse)
            #expect(half.image.width == reference.width && half.image.height == reference.height)
            let halfDifference = ImageMath.meanAbsoluteDifference(half.image, reference)
            #expect(halfDifference < 3, "orientation \(orientation) at 1/2: mean absolute difference \(halfDifference)")
        }
    }

    @Test("EXIF orientation in a PNG eXIf chunk is applied", arguments: 1...8)
    func orientedPNG(orientation: Int) throws {
        let upright = try Self.smallPhoto()
        let stored = ImageMath.stored(fromUpright: upright, orientation: orientation)
        var options = Encoders.PNGOptions()
        options.exifTIFF = Encoders.tiffWithOrientation(UInt16(orientation), bigEndian: orientation % 2 == 0)
        let png = try Encoders.png(stored.pixels, width: stored.width, height: stored.height, options: options)
        #expect(try decoder.probe(png).exifOrientation == orientation)
        let decoded = try decoder.decode(png)
        #expect(decoded.exifOrientation == orientation)
        // PNG is lossless, so the upright result must be exact.
        #expect(decoded.image == upright)
    }

    @Test("A PNG eXIf chunk after the image data is still applied by decode")
    func exifAfterImageData() throws {
        let upright = try Self.smallPhoto()
        let stored = ImageMath.stored(fromUpright: upright, orientation: 6)
        let plain = try Encoders.png(stored.pixels, width: stored.width, height: stored.height, options: .init())
        let tiff = Encoders.tiffWithOrientation(6, bigEndian: false)
        let chunkType = Array("eXIf".utf8)
        let crc = Encoders.crc32(chunkType + tiff)
        let chunk =
            [0, 0, 0, UInt8(tiff.count)] + chunkType + tiff
            + [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
        let iend = plain.count - 12  // IEND is always the last 12 bytes
        let png = Array(plain[..<iend]) + chunk + Array(plain[iend...])
        let decoded = try decoder.decode(png)
        #expect(decoded.exifOrientation == 6)
        #expect(decoded.image == upright)
    }

    @Test(
        "Orientation on a tiny labelled grid follows the EXIF definition",
        arguments: [
            // Stored 3×2 grid   a b c / d e f   and how each orientation is meant to be viewed.
            (1, 3, "abcdef"), (2, 3, "cbafed"), (3, 3, "fedcba"), (4, 3, "defabc"),
            (5, 2, "adbecf"), (6, 2, "daebfc"), (7, 2, "fcebda"), (8, 2, "cfbead"),
        ]
    )
    func labeledGrid(orientation: Int, uprightWidth: Int, expected: String) throws {
        let labels = Array("abcdef")
        let stored = labels.flatMap { label -> [UInt8] in
            let code = label.asciiValue!
            return [code, code &+ 100, code &+ 50]
        }
        var options = Encoders.PNGOptions()
        options.exifTIFF = Encoders.tiffWithOrientation(UInt16(orientation), bigEndian: true)
        let png = try Encoders.png(stored, width: 3, height: 2, options: options)
        let decoded = try decoder.decode(png).image
        #expect(decoded.width == uprightWidth && decoded.height == 6 / uprightWidth)
        let seen = String(
            stride(from: 0, to: decoded.pixels.count, by: 3).map { Character(UnicodeScalar(decoded.pixels[$0])) }
        )
        #expect(seen == expected)
    }

    @Test("Invalid orientation values fall back to 1", arguments: [0, 9, 0xFFFF])
    func invalidOrientation(value: Int) throws {
        let photo = try Self.smallPhoto()
        let jpeg = Encoders.insertingExifOrientation(UInt16(value), into: try Encoders.jpeg(photo), bigEndian: false)
        let decoded = try decoder.decode(jpeg)
        #expect(decoded.exifOrientation == 1)
        #expect(decoded.image.width == photo.width && decoded.image.height == photo.height)
    }

    @Test("Garbage inside the Exif segment is ignored")
    func garbageExif() throws {
        let photo = try Self.smallPhoto()
        let plain = try Encoders.jpeg(photo)
        var generator = SeededGenerator(seed: 7)
        for length in [0, 1, 8, 40, 300] {
            let payload = Array("Exif\0\0".utf8) + generator.bytes(length)
            let segment: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)]
            let jpeg = Array(plain[..<2]) + segment + payload + Array(plain[2...])
            let decoded = try decoder.decode(jpeg)
            #expect(decoded.exifOrientation == 1)
        }
    }
}
