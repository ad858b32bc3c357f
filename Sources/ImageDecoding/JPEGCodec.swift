import CImageCodecs

/// JPEG decoding through the TurboJPEG 2.1 API, whose calls report failures as return codes instead of longjmp.
enum JPEGCodec {
    /// Stop at the first libjpeg warning, because libjpeg's recovery from bad data (e.g. grey-filling the rest of
    /// a truncated file) would otherwise hand back plausible-looking garbage. Also cap the number of progressive
    /// scans, which otherwise lets a small hostile file burn CPU for a very long time.
    private static let decompressFlags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS

    static func probe(_ bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) -> ImageHeader {
        let markers = try JPEGMarkers(scanning: bytes)
        let handle = try makeHandle()
        defer { tjDestroy(handle) }
        let header = try readHeader(bytes, handle: handle)
        return ImageHeader(
            format: .jpeg,
            width: header.width,
            height: header.height,
            exifOrientation: orientation(from: markers, in: bytes)
        )
    }

    static func decode(
        _ bytes: UnsafeRawBufferPointer,
        limits: ImageLimits,
        maxWorkingSide: Int?
    ) throws(ImageDecodingError) -> DecodedImage {
        let markers = try JPEGMarkers(scanning: bytes)
        let handle = try makeHandle()
        defer { tjDestroy(handle) }
        let header = try readHeader(bytes, handle: handle)
        guard header.width * header.height <= limits.maxPixels else {
            throw .tooManyPixels(width: header.width, height: header.height, limit: limits.maxPixels)
        }

        let denominator = scaleDenominator(width: header.width, height: header.height, maxWorkingSide: maxWorkingSide)
        // Same rounding as TurboJPEG's TJSCALED: partial blocks at the edges still produce a pixel.
        let width = (header.width + denominator - 1) / denominator
        let height = (header.height + denominator - 1) / denominator

        let stored: RGBImage
        switch header.colorspace {
        case Int32(TJCS_CMYK.rawValue), Int32(TJCS_YCCK.rawValue):
            // libjpeg cannot convert CMYK to RGB itself.
            let cmyk = try decompress(
                bytes,
                handle: handle,
                width: width,
                height: height,
                pixelFormat: TJPF_CMYK,
                channels: 4
            )
            stored = ColorConversion.rgb(
                fromCMYK: cmyk,
                width: width,
                height: height,
                adobeInverted: markers.adobeTransform != nil
            )
        default:
            // Greyscale, YCbCr and RGB all expand to RGB inside libjpeg-turbo's SIMD colour converters.
            let rgb = try decompress(
                bytes,
                handle: handle,
                width: width,
                height: height,
                pixelFormat: TJPF_RGB,
                channels: 3
            )
            stored = RGBImage(width: width, height: height, pixels: rgb)
        }

        let orientation = orientation(from: markers, in: bytes)
        return DecodedImage(
            image: EXIFOrientation.upright(consume stored, orientation: orientation),
            format: .jpeg,
            originalWidth: header.width,
            originalHeight: header.height,
            exifOrientation: orientation,
            decodeScale: 1 / Double(denominator)
        )
    }

    /// The largest DCT scaling denominator (1, 2, 4 or 8) that keeps the longer side at or above `maxWorkingSide`.
    static func scaleDenominator(width: Int, height: Int, maxWorkingSide: Int?) -> Int {
        guard let maxWorkingSide else {
            return 1
        }
        let longerSide = max(width, height)
        var chosen = 1
        for denominator in [2, 4, 8] where (longerSide + denominator - 1) / denominator >= maxWorkingSide {
            chosen = denominator
        }
        return chosen
    }

    private struct Header {
        var width: Int
        var height: Int
        var colorspace: Int32
    }

    private static func makeHandle() throws(ImageDecodingError) -> tjhandle {
        guard let handle = tjInitDecompress() else {
            throw .corrupt("TurboJPEG could not create a decompressor")
        }
        return handle
    }

    private static func readHeader(
        _ bytes: UnsafeRawBufferPointer,
        handle: tjhandle
    ) throws(ImageDecodingError) -> Header {
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        let status = tjDecompressHeader3(
            handle,
            bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
            UInt(bytes.count),
            &width,
            &height,
            &subsampling,
            &colorspace
        )
        guard status == 0 else {
            throw error(from: handle)
        }
        // A tables-only stream "succeeds" without describing an image.
        guard width > 0 && height > 0 else {
            throw .corrupt("JPEG datastream contains no image")
        }
        return Header(width: Int(width), height: Int(height), colorspace: colorspace)
    }

    private static func decompress(
        _ bytes: UnsafeRawBufferPointer,
        handle: tjhandle,
        width: Int,
        height: Int,
        pixelFormat: TJPF,
        channels: Int
    ) throws(ImageDecodingError) -> [UInt8] {
        var failure: ImageDecodingError?
        let count = width * height * channels
        // Uninitialised capacity avoids zero-filling a buffer that libjpeg overwrites completely.
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            let status = tjDecompress2(
                handle,
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt(bytes.count),
                buffer.baseAddress,
                Int32(width),
                Int32(width * channels),
                Int32(height),
                pixelFormat.rawValue,
                decompressFlags
            )
            if status == 0 {
                initializedCount = count
            } else {
                failure = error(from: handle)
            }
        }
        if let failure {
            throw failure
        }
        return pixels
    }

    private static func error(from handle: tjhandle) -> ImageDecodingError {
        let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown TurboJPEG error"
        // libjpeg's wording for running out of input (JWRN_JPEG_EOF); it is stable across libjpeg versions.
        if message.contains("Premature end of JPEG file") {
            return .truncated
        }
        return .corrupt(message)
    }

    private static func orientation(from markers: JPEGMarkers, in bytes: UnsafeRawBufferPointer) -> Int {
        guard let payload = markers.exifPayload else {
            return 1
        }
        return EXIFOrientation.read(fromExifPayload: UnsafeRawBufferPointer(rebasing: bytes[payload]))
    }
}
