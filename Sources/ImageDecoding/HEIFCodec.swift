import CImageCodecs

/// HEIF decoding through libheif: HEIC (HEVC, as phones write it) and the other HEIF images libheif reads, such
/// as AVIF. The primary image is decoded with the file's own transformations (`irot` rotation, `imir` mirroring,
/// `clap` cropping) applied, so the result is upright as stored; an EXIF orientation inside a HEIF file is only
/// informational (the HEIF specification gives the transformations precedence) and is ignored.
enum HEIFCodec {
    /// The longest side of a HEIF image accepted, declared or coded.
    static let maximumSide = 8192

    /// libheif keeps global state (its codec registry) that `heif_init` sets up once, thread-safely.
    private static let initialized: Bool = {
        heif_init(nil).code == heif_error_Ok
    }()

    /// An ISO base-media `ftyp` box whose brands libheif recognises as a still image.
    static func isHEIF(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 12, bytes[4..<8].elementsEqual("ftyp".utf8),
            let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else {
            return false
        }
        let verdict = heif_check_filetype(base, Int32(clamping: bytes.count))
        return verdict == heif_filetype_yes_supported || verdict == heif_filetype_maybe
    }

    static func probe(_ bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) -> ImageHeader {
        let file = try File(bytes, maxPixels: .max)
        let (width, height) = file.size
        return ImageHeader(format: .heif, width: width, height: height, exifOrientation: 1)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, limits: ImageLimits) throws(ImageDecodingError)
        -> DecodedImage
    {
        let file = try File(bytes, maxPixels: limits.maxPixels)
        let (width, height) = file.size
        guard width * height <= limits.maxPixels else {
            throw .tooManyPixels(width: width, height: height, limit: limits.maxPixels)
        }
        let image: RGBImage
        if file.hasAlpha {
            let rgba = try file.decodePixels(chroma: heif_chroma_interleaved_RGBA, channels: 4)
            image = ColorConversion.rgb(compositingOverWhite: rgba.pixels, width: rgba.width, height: rgba.height)
        } else {
            let rgb = try file.decodePixels(chroma: heif_chroma_interleaved_RGB, channels: 3)
            image = RGBImage(width: rgb.width, height: rgb.height, pixels: rgb.pixels)
        }
        // The sizes are those after the transformations, so coordinates in `image` are already upright.
        return DecodedImage(
            image: image,
            format: .heif,
            originalWidth: image.width,
            originalHeight: image.height,
            exifOrientation: 1,
            decodeScale: 1
        )
    }

    /// Owns one libheif context and its primary image handle for the duration of a call.
    private final class File {
        let context: OpaquePointer
        let handle: OpaquePointer

        /// Reads the container (boxes, not pixels). libheif itself refuses sides above `maxPixels` here.
        /// - Parameter bytes: Must stay valid for the lifetime of the value; libheif reads it without copying.
        init(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) {
            guard !HEIFItemReferences.containLoop(bytes) else {
                throw .corrupt("HEIF items that refer to themselves in a loop")
            }
            guard HEIFCodec.initialized, let context = heif_context_alloc() else {
                throw .corrupt("libheif could not create a context")
            }
            // libheif 1.15 does not check the coded size of a stream against the size the file declares (`ispe`):
            // a 1.7 KB file declaring 96×64 made it allocate 3.8 GB for a 59621×64021 stream (found by fuzzing).
            // Its per-side limit also bounds coded sizes, so it is kept at what phones write (a 48 MP photo is
            // 8064×6048); the declared size is then held to the pixel limit as for every format.
            heif_context_set_maximum_image_size_limit(context, Int32(min(max(maxPixels, 1), HEIFCodec.maximumSide)))
            // Tiles are decoded on the calling thread: parallelism comes from analysing several photos at once.
            heif_context_set_max_decoding_threads(context, 0)
            let read = heif_context_read_from_memory_without_copy(context, bytes.baseAddress, bytes.count, nil)
            // An error's message lives in the context: read it before the context is freed (found by fuzzing).
            guard read.code == heif_error_Ok else {
                let failure = HEIFCodec.error(read)
                heif_context_free(context)
                throw failure
            }
            var handle: OpaquePointer?
            let primary = heif_context_get_primary_image_handle(context, &handle)
            guard primary.code == heif_error_Ok, let handle else {
                let failure = HEIFCodec.error(primary)
                heif_context_free(context)
                throw failure
            }
            self.context = context
            self.handle = handle
        }

        deinit {
            heif_image_handle_release(handle)
            heif_context_free(context)
        }

        /// Width and height as displayed (after rotation and cropping).
        var size: (width: Int, height: Int) {
            (Int(heif_image_handle_get_width(handle)), Int(heif_image_handle_get_height(handle)))
        }

        var hasAlpha: Bool { heif_image_handle_has_alpha_channel(handle) != 0 }

        /// Decodes to interleaved 8-bit samples, copied out of libheif's padded rows.
        func decodePixels(chroma: heif_chroma, channels: Int) throws(ImageDecodingError)
            -> (width: Int, height: Int, pixels: [UInt8])
        {
            guard let options = heif_decoding_options_alloc() else {
                throw .corrupt("libheif could not allocate decoding options")
            }
            defer { heif_decoding_options_free(options) }
            // 10-bit HEIC (HDR photos) is brought to 8 bits like everything else.
            options.pointee.convert_hdr_to_8bit = 1
            var decoded: OpaquePointer?
            let status = heif_decode_image(handle, &decoded, heif_colorspace_RGB, chroma, options)
            guard status.code == heif_error_Ok, let decoded else {
                throw HEIFCodec.error(status)
            }
            defer { heif_image_release(decoded) }
            let width = Int(heif_image_get_width(decoded, heif_channel_interleaved))
            let height = Int(heif_image_get_height(decoded, heif_channel_interleaved))
            var stride: Int32 = 0
            guard width > 0, height > 0,
                let plane = heif_image_get_plane_readonly(decoded, heif_channel_interleaved, &stride),
                Int(stride) >= width * channels
            else {
                throw .corrupt("libheif returned no interleaved plane")
            }
            let rowBytes = width * channels
            let pixels = [UInt8](unsafeUninitializedCapacity: rowBytes * height) { buffer, initializedCount in
                guard let destination = buffer.baseAddress else {
                    return
                }
                for row in 0..<height {
                    (destination + row * rowBytes).update(from: plane + row * Int(stride), count: rowBytes)
                }
                initializedCount = rowBytes * height
            }
            return (width, height, pixels)
        }
    }

    private static func error(_ error: heif_error) -> ImageDecodingError {
        let message = error.message.map { String(cString: $0) } ?? "libheif error \(error.code.rawValue)"
        switch (error.code, error.subcode) {
        case (_, heif_suberror_End_of_data):
            return .truncated
        case (_, heif_suberror_Security_limit_exceeded):
            // libheif does not report the offending size; the pixel limit is what it enforced.
            return .corrupt("libheif security limit: \(message)")
        default:
            return .corrupt(message)
        }
    }
}
