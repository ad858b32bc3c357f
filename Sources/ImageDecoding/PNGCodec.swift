import CImageCodecs

/// PNG decoding through libspng.
enum PNGCodec {
    /// Ceiling on memory libspng may spend on ancillary chunks (text, ICC profile, eXIf…), including decompressed
    /// zTXt/iTXt/iCCP data, which a small file can otherwise inflate enormously. Real photos stay far below this.
    private static let chunkCacheLimit = 16 << 20

    static func probe(_ bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) -> ImageHeader {
        let context = try DecodingContext(bytes, limits: ImageLimits(maxBytes: bytes.count, maxPixels: .max))
        let header = try context.header()
        return ImageHeader(
            format: .png,
            width: Int(header.width),
            height: Int(header.height),
            exifOrientation: context.exifOrientation()
        )
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, limits: ImageLimits) throws(ImageDecodingError)
        -> DecodedImage
    {
        let context = try DecodingContext(bytes, limits: limits)
        let header = try context.header()
        let width = Int(header.width)
        let height = Int(header.height)
        guard width * height <= limits.maxPixels else {
            throw .tooManyPixels(width: width, height: height, limit: limits.maxPixels)
        }

        let stored: RGBImage
        if try context.hasTransparency(colorType: header.color_type) {
            let rgba = try context.decode(format: SPNG_FMT_RGBA8, bytesPerPixel: 4, width: width, height: height)
            stored = ColorConversion.rgb(compositingOverWhite: rgba, width: width, height: height)
        } else {
            let rgb = try context.decode(format: SPNG_FMT_RGB8, bytesPerPixel: 3, width: width, height: height)
            stored = RGBImage(width: width, height: height, pixels: rgb)
        }

        let orientation = context.exifOrientation()
        return DecodedImage(
            image: EXIFOrientation.upright(consume stored, orientation: orientation),
            format: .png,
            originalWidth: width,
            originalHeight: height,
            exifOrientation: orientation,
            decodeScale: 1
        )
    }

    /// Owns one libspng decoder for the duration of a call; libspng contexts must not be shared between threads.
    private final class DecodingContext {
        let context: OpaquePointer
        let bytes: UnsafeRawBufferPointer
        let maxPixels: Int

        /// - Parameter bytes: Must stay valid for the lifetime of the context, which reads from it lazily.
        init(_ bytes: UnsafeRawBufferPointer, limits: ImageLimits) throws(ImageDecodingError) {
            guard let context = spng_ctx_new(0) else {
                throw .corrupt("libspng could not create a decoder")
            }
            self.context = context
            self.bytes = bytes
            self.maxPixels = limits.maxPixels

            // Critical-chunk CRCs are checked by default. Checking ancillary ones too rejects a damaged file instead
            // of silently dropping, say, its eXIf chunk and with it the orientation.
            spng_set_crc_action(
                context,
                Int32(SPNG_CRC_ERROR.rawValue),
                Int32(SPNG_CRC_ERROR.rawValue)
            )
            // No side can exceed the pixel budget; libspng rejects larger headers before allocating anything.
            let maxSide = UInt32(min(max(limits.maxPixels, 1), Int(Int32.max)))
            spng_set_image_limits(context, maxSide, maxSide)
            spng_set_chunk_limits(context, min(max(bytes.count, 1), Int(Int32.max)), PNGCodec.chunkCacheLimit)
            spng_set_png_buffer(context, bytes.baseAddress, bytes.count)
        }

        deinit {
            spng_ctx_free(context)
        }

        func header() throws(ImageDecodingError) -> spng_ihdr {
            var header = spng_ihdr()
            let status = spng_get_ihdr(context, &header)
            guard status == 0 else {
                throw error(status)
            }
            return header
        }

        /// Whether the image has an alpha channel or a tRNS chunk, i.e. whether it needs compositing.
        func hasTransparency(colorType: UInt8) throws(ImageDecodingError) -> Bool {
            if colorType == UInt8(SPNG_COLOR_TYPE_GRAYSCALE_ALPHA.rawValue)
                || colorType == UInt8(SPNG_COLOR_TYPE_TRUECOLOR_ALPHA.rawValue)
            {
                return true
            }
            var transparency = spng_trns()
            let status = spng_get_trns(context, &transparency)
            if status == Int32(SPNG_ECHUNKAVAIL.rawValue) {
                return false
            }
            guard status == 0 else {
                throw error(status)
            }
            return true
        }

        func decode(format: spng_format, bytesPerPixel: Int, width: Int, height: Int) throws(ImageDecodingError)
            -> [UInt8]
        {
            var size = 0
            let sizeStatus = spng_decoded_image_size(context, Int32(format.rawValue), &size)
            guard sizeStatus == 0 else {
                throw error(sizeStatus)
            }
            // The output formats are unpadded, so anything else means libspng and this code disagree.
            guard size == width * height * bytesPerPixel else {
                throw .corrupt("unexpected decoded PNG size \(size) for \(width)×\(height)")
            }
            var status: Int32 = 0
            let pixels = [UInt8](unsafeUninitializedCapacity: size) { buffer, initializedCount in
                status = spng_decode_image(
                    context,
                    buffer.baseAddress,
                    size,
                    Int32(format.rawValue),
                    Int32(SPNG_DECODE_TRNS.rawValue)
                )
                initializedCount = status == 0 ? size : 0
            }
            guard status == 0 else {
                throw error(status)
            }
            return pixels
        }

        /// The orientation from an eXIf chunk, or 1 when there is none or it cannot be read.
        func exifOrientation() -> Int {
            var exif = spng_exif()
            guard spng_get_exif(context, &exif) == 0, let data = exif.data, exif.length > 0 else {
                return 1
            }
            return EXIFOrientation.read(fromTIFF: UnsafeRawBufferPointer(start: data, count: exif.length))
        }

        private func error(_ status: Int32) -> ImageDecodingError {
            switch status {
            case Int32(SPNG_EOF.rawValue), Int32(SPNG_IO_EOF.rawValue):
                return .truncated
            case Int32(SPNG_EUSER_WIDTH.rawValue), Int32(SPNG_EUSER_HEIGHT.rawValue):
                // libspng does not hand back the rejected header, but it has already validated where it lies.
                let width = bytes.count >= 24 ? Int(bigEndianUInt32(at: 16)) : 0
                let height = bytes.count >= 24 ? Int(bigEndianUInt32(at: 20)) : 0
                return .tooManyPixels(width: width, height: height, limit: maxPixels)
            default:
                let message = spng_strerror(status).map { String(cString: $0) } ?? "libspng error \(status)"
                return .corrupt(message)
            }
        }

        private func bigEndianUInt32(at offset: Int) -> UInt32 {
            bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
    }
}
