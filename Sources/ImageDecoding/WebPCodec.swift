import CImageCodecs

/// WebP decoding through libwebp (still images, lossy or lossless, with or without alpha).
enum WebPCodec {
    /// `RIFF····WEBP`: the RIFF container with the WebP form type.
    static func isWebP(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 12 && bytes.starts(with: Array("RIFF".utf8)) && bytes[8..<12].elementsEqual("WEBP".utf8)
    }

    static func probe(_ bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) -> ImageHeader {
        let features = try self.features(of: bytes)
        return ImageHeader(
            format: .webp,
            width: Int(features.width),
            height: Int(features.height),
            exifOrientation: exifOrientation(of: bytes)
        )
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, limits: ImageLimits) throws(ImageDecodingError)
        -> DecodedImage
    {
        let features = try self.features(of: bytes)
        let width = Int(features.width)
        let height = Int(features.height)
        guard width * height <= limits.maxPixels else {
            throw .tooManyPixels(width: width, height: height, limit: limits.maxPixels)
        }
        guard features.has_animation == 0 else {
            throw .animated
        }

        let stored: RGBImage
        if features.has_alpha != 0 {
            let rgba = try decodePixels(bytes, mode: MODE_RGBA, channels: 4, width: width, height: height)
            stored = ColorConversion.rgb(compositingOverWhite: rgba, width: width, height: height)
        } else {
            let rgb = try decodePixels(bytes, mode: MODE_RGB, channels: 3, width: width, height: height)
            stored = RGBImage(width: width, height: height, pixels: rgb)
        }
        let orientation = exifOrientation(of: bytes)
        return DecodedImage(
            image: EXIFOrientation.upright(consume stored, orientation: orientation),
            format: .webp,
            originalWidth: width,
            originalHeight: height,
            exifOrientation: orientation,
            decodeScale: 1
        )
    }

    /// The bitstream's header: dimensions, alpha, animation. Reads a few dozen bytes; allocates nothing.
    private static func features(of bytes: UnsafeRawBufferPointer) throws(ImageDecodingError)
        -> WebPBitstreamFeatures
    {
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeatures(
            bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
            bytes.count,
            &features
        )
        guard status == VP8_STATUS_OK else {
            throw error(status)
        }
        guard features.width > 0, features.height > 0 else {
            throw .corrupt("WebP header without an image")
        }
        return features
    }

    private static func decodePixels(
        _ bytes: UnsafeRawBufferPointer,
        mode: WEBP_CSP_MODE,
        channels: Int,
        width: Int,
        height: Int
    ) throws(ImageDecodingError) -> [UInt8] {
        var config = WebPDecoderConfig()
        guard WebPInitDecoderConfig(&config) != 0 else {
            throw .corrupt("libwebp version mismatch")
        }
        // One photo is one task; parallelism comes from analysing several photos at once.
        config.options.use_threads = 0
        config.output.colorspace = mode
        config.output.is_external_memory = 1
        let count = width * height * channels
        var status = VP8_STATUS_OK
        // libwebp writes straight into the array, so the pixels are never copied or zero-filled.
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            config.output.u.RGBA.rgba = buffer.baseAddress
            config.output.u.RGBA.stride = Int32(width * channels)
            config.output.u.RGBA.size = count
            status = WebPDecode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &config)
            initializedCount = status == VP8_STATUS_OK ? count : 0
        }
        WebPFreeDecBuffer(&config.output)
        guard status == VP8_STATUS_OK else {
            throw error(status)
        }
        return pixels
    }

    /// The orientation from an `EXIF` chunk of an extended (VP8X) file, or 1 when there is none or it is unreadable.
    private static func exifOrientation(of bytes: UnsafeRawBufferPointer) -> Int {
        var data = WebPData(bytes: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), size: bytes.count)
        guard let demuxer = WebPDemux(&data) else {
            return 1
        }
        defer { WebPDemuxDelete(demuxer) }
        var chunk = WebPChunkIterator()
        guard WebPDemuxGetChunk(demuxer, "EXIF", 1, &chunk) != 0 else {
            return 1
        }
        defer { WebPDemuxReleaseChunkIterator(&chunk) }
        let payload = UnsafeRawBufferPointer(start: chunk.chunk.bytes, count: chunk.chunk.size)
        // The WebP specification stores a bare TIFF structure, but some writers keep JPEG's `Exif\0\0` prefix.
        if payload.starts(with: Array("Exif\0\0".utf8)) {
            return EXIFOrientation.read(fromExifPayload: payload)
        }
        return EXIFOrientation.read(fromTIFF: payload)
    }

    private static func error(_ status: VP8StatusCode) -> ImageDecodingError {
        switch status {
        case VP8_STATUS_NOT_ENOUGH_DATA:
            return .truncated
        case VP8_STATUS_UNSUPPORTED_FEATURE:
            return .corrupt("a WebP feature libwebp does not support")
        case VP8_STATUS_OUT_OF_MEMORY:
            return .corrupt("libwebp ran out of memory")
        default:
            return .corrupt("libwebp status \(status.rawValue)")
        }
    }
}
