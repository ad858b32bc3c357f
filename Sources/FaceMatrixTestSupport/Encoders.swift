public import CImageCodecs
import Foundation
public import ImageDecoding

/// Builds test inputs at run time so that no derived image files need to be committed.
public enum Encoders {
    public struct EncodingFailed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Compresses packed pixels with TurboJPEG. `pixelFormat` decides the JPEG colour space: `TJPF_GRAY` gives a
    /// greyscale JPEG and `TJPF_CMYK` an Adobe YCCK JPEG.
    public static func jpeg(
        _ pixels: [UInt8], width: Int, height: Int, pixelFormat: TJPF, subsampling: TJSAMP = TJSAMP_420,
        quality: Int32 = 95, flags: Int32 = 0
    ) throws -> [UInt8] {
        guard let handle = tjInitCompress() else {
            throw EncodingFailed(description: "tjInitCompress failed")
        }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer { source in
            tjCompress2(
                handle, source.baseAddress, Int32(width), 0, Int32(height), pixelFormat.rawValue, &output, &size,
                Int32(subsampling.rawValue), quality, flags)
        }
        defer { tjFree(output) }
        guard status == 0, let output else {
            throw EncodingFailed(description: String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    public static func jpeg(_ image: RGBImage, quality: Int32 = 95) throws -> [UInt8] {
        try jpeg(image.pixels, width: image.width, height: image.height, pixelFormat: TJPF_RGB, quality: quality)
    }

    /// Transforms a JPEG without re-encoding it (rotating or flipping its DCT blocks, as `jpegtran` does), so the
    /// result carries exactly the original's picture information. Partial edge blocks are trimmed.
    /// With `wholeBlocksOnly`, the picture is first cut to whole 16×16 blocks, after which every rotation is exact
    /// and keeps the size.
    public static func losslesslyTransformed(_ jpeg: [UInt8], operation: TJXOP, wholeBlocksOnly: Bool = false) throws
        -> [UInt8]
    {
        guard let handle = tjInitTransform() else {
            throw EncodingFailed(description: "tjInitTransform failed")
        }
        defer { tjDestroy(handle) }
        var transform = tjtransform()
        transform.op = Int32(operation.rawValue)
        transform.options = TJXOPT_TRIM | TJXOPT_COPYNONE
        if wholeBlocksOnly {
            var width: Int32 = 0
            var height: Int32 = 0
            var subsampling: Int32 = 0
            var colorspace: Int32 = 0
            _ = jpeg.withUnsafeBufferPointer { source in
                tjDecompressHeader3(
                    handle, source.baseAddress, UInt(source.count), &width, &height, &subsampling, &colorspace)
            }
            transform.options |= TJXOPT_CROP
            transform.r = tjregion(x: 0, y: 0, w: width - width % 16, h: height - height % 16)
        }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = jpeg.withUnsafeBufferPointer { source in
            tjTransform(handle, source.baseAddress, UInt(source.count), 1, &output, &size, &transform, 0)
        }
        defer { tjFree(output) }
        guard status == 0, let output else {
            throw EncodingFailed(description: String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// Decodes with TurboJPEG directly into `pixelFormat`, bypassing the module under test.
    public static func turboDecode(_ jpeg: [UInt8], pixelFormat: TJPF, channels: Int) throws -> (Int, Int, [UInt8]) {
        guard let handle = tjInitDecompress() else {
            throw EncodingFailed(description: "tjInitDecompress failed")
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, jpeg, UInt(jpeg.count), &width, &height, &subsampling, &colorspace) == 0
        else {
            throw EncodingFailed(description: String(cString: tjGetErrorStr2(handle)))
        }
        var pixels = [UInt8](repeating: 0, count: Int(width * height) * channels)
        let status = pixels.withUnsafeMutableBufferPointer { buffer in
            tjDecompress2(
                handle, jpeg, UInt(jpeg.count), buffer.baseAddress, width, 0, height, pixelFormat.rawValue, 0)
        }
        guard status == 0 else {
            throw EncodingFailed(description: String(cString: tjGetErrorStr2(handle)))
        }
        return (Int(width), Int(height), pixels)
    }

    /// Inserts an `APP1` Exif segment holding only an IFD0 orientation tag directly after SOI.
    public static func insertingExifOrientation(_ orientation: UInt16, into jpeg: [UInt8], bigEndian: Bool) -> [UInt8] {
        let payload = Array("Exif\0\0".utf8) + tiffWithOrientation(orientation, bigEndian: bigEndian)
        let length = payload.count + 2
        let segment: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        return Array(jpeg[..<2]) + segment + Array(jpeg[2...])
    }

    /// A minimal TIFF structure: header, one IFD with a single SHORT orientation entry, no next IFD.
    public static func tiffWithOrientation(_ orientation: UInt16, bigEndian: Bool) -> [UInt8] {
        func u16(_ value: UInt16) -> [UInt8] {
            bigEndian ? [UInt8(value >> 8), UInt8(value & 0xFF)] : [UInt8(value & 0xFF), UInt8(value >> 8)]
        }
        func u32(_ value: UInt32) -> [UInt8] {
            let big = [
                UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF),
            ]
            return bigEndian ? big : big.reversed()
        }
        var tiff: [UInt8] = bigEndian ? Array("MM".utf8) : Array("II".utf8)
        tiff += u16(42) + u32(8)
        tiff += u16(1)  // entry count
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0]  // tag, SHORT, count, padded value
        tiff += u32(0)  // no next IFD
        return tiff
    }

    public struct PNGOptions {
        public var bitDepth: UInt8 = 8
        public var colorType: spng_color_type = SPNG_COLOR_TYPE_TRUECOLOR
        public var palette: [(UInt8, UInt8, UInt8)] = []
        public var paletteAlpha: [UInt8] = []
        public var exifTIFF: [UInt8]? = nil
        public var interlaced = false

        public init(
            bitDepth: UInt8 = 8, colorType: spng_color_type = SPNG_COLOR_TYPE_TRUECOLOR,
            palette: [(UInt8, UInt8, UInt8)] = [], paletteAlpha: [UInt8] = [], exifTIFF: [UInt8]? = nil,
            interlaced: Bool = false
        ) {
            self.bitDepth = bitDepth
            self.colorType = colorType
            self.palette = palette
            self.paletteAlpha = paletteAlpha
            self.exifTIFF = exifTIFF
            self.interlaced = interlaced
        }
    }

    /// Encodes samples laid out exactly as the PNG stores them (16-bit samples in host byte order) with libspng.
    public static func png(_ samples: [UInt8], width: Int, height: Int, options: PNGOptions) throws -> [UInt8] {
        guard let context = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue)) else {
            throw EncodingFailed(description: "spng_ctx_new failed")
        }
        defer { spng_ctx_free(context) }
        func check(_ status: Int32, _ what: String) throws {
            guard status == 0 else {
                throw EncodingFailed(description: "\(what): \(String(cString: spng_strerror(status)))")
            }
        }
        try check(spng_set_option(context, SPNG_ENCODE_TO_BUFFER, 1), "option")
        var header = spng_ihdr(
            width: UInt32(width), height: UInt32(height), bit_depth: options.bitDepth,
            color_type: UInt8(options.colorType.rawValue), compression_method: 0, filter_method: 0,
            interlace_method: options.interlaced ? 1 : 0)
        try check(spng_set_ihdr(context, &header), "ihdr")
        if !options.palette.isEmpty {
            var palette = spng_plte()
            palette.n_entries = UInt32(options.palette.count)
            withUnsafeMutableBytes(of: &palette.entries) { raw in
                let entries = raw.bindMemory(to: spng_plte_entry.self)
                for (index, (red, green, blue)) in options.palette.enumerated() {
                    entries[index] = spng_plte_entry(red: red, green: green, blue: blue, alpha: 255)
                }
            }
            try check(spng_set_plte(context, &palette), "plte")
        }
        if !options.paletteAlpha.isEmpty {
            var transparency = spng_trns()
            transparency.n_type3_entries = UInt32(options.paletteAlpha.count)
            withUnsafeMutableBytes(of: &transparency.type3_alpha) { raw in
                for (index, alpha) in options.paletteAlpha.enumerated() {
                    raw[index] = alpha
                }
            }
            try check(spng_set_trns(context, &transparency), "trns")
        }
        var exifStorage = options.exifTIFF ?? []
        try exifStorage.withUnsafeMutableBufferPointer { exifBytes in
            if options.exifTIFF != nil {
                var exif = spng_exif(
                    length: exifBytes.count,
                    data: UnsafeMutableRawPointer(exifBytes.baseAddress!).assumingMemoryBound(to: CChar.self))
                try check(spng_set_exif(context, &exif), "exif")
            }
            try samples.withUnsafeBytes { image in
                try check(
                    spng_encode_image(
                        context, image.baseAddress, image.count, Int32(SPNG_FMT_PNG.rawValue),
                        Int32(SPNG_ENCODE_FINALIZE.rawValue)),
                    "encode")
            }
        }
        var length = 0
        var status: Int32 = 0
        guard let buffer = spng_get_png_buffer(context, &length, &status) else {
            throw EncodingFailed(description: "spng_get_png_buffer: \(status)")
        }
        defer { free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    /// Decodes a PNG with libspng directly into RGBA8, bypassing the module under test.
    public static func spngDecodeRGBA(_ png: [UInt8]) throws -> (Int, Int, [UInt8]) {
        guard let context = spng_ctx_new(0) else {
            throw EncodingFailed(description: "spng_ctx_new failed")
        }
        defer { spng_ctx_free(context) }
        return try png.withUnsafeBytes { bytes in
            spng_set_png_buffer(context, bytes.baseAddress, bytes.count)
            var header = spng_ihdr()
            var size = 0
            guard spng_get_ihdr(context, &header) == 0,
                spng_decoded_image_size(context, Int32(SPNG_FMT_RGBA8.rawValue), &size) == 0
            else {
                throw EncodingFailed(description: "spng header")
            }
            var pixels = [UInt8](repeating: 0, count: size)
            let status = pixels.withUnsafeMutableBytes { out in
                spng_decode_image(
                    context, out.baseAddress, size, Int32(SPNG_FMT_RGBA8.rawValue), Int32(SPNG_DECODE_TRNS.rawValue))
            }
            guard status == 0 else {
                throw EncodingFailed(description: String(cString: spng_strerror(status)))
            }
            return (Int(header.width), Int(header.height), pixels)
        }
    }

    /// Encodes RGB or RGBA samples (`channels` 3 or 4) as a still WebP with libwebp: lossy at `quality`, or lossless.
    /// `exifTIFF`, when given, is added as an `EXIF` chunk (which makes the file an extended, VP8X, WebP).
    public static func webp(
        _ samples: [UInt8], width: Int, height: Int, channels: Int, quality: Float = 90, lossless: Bool = false,
        exifTIFF: [UInt8]? = nil
    ) throws -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>? = nil
        let stride = Int32(width * channels)
        let size = samples.withUnsafeBufferPointer { source -> Int in
            switch (channels, lossless) {
            case (4, true): WebPEncodeLosslessRGBA(source.baseAddress, Int32(width), Int32(height), stride, &output)
            case (4, false): WebPEncodeRGBA(source.baseAddress, Int32(width), Int32(height), stride, quality, &output)
            case (_, true): WebPEncodeLosslessRGB(source.baseAddress, Int32(width), Int32(height), stride, &output)
            case (_, false): WebPEncodeRGB(source.baseAddress, Int32(width), Int32(height), stride, quality, &output)
            }
        }
        defer { WebPFree(output) }
        guard size > 0, let output else {
            throw EncodingFailed(description: "libwebp could not encode \(width)×\(height)")
        }
        let bitstream = Array(UnsafeBufferPointer(start: output, count: size))
        guard let exifTIFF else {
            return bitstream
        }
        return try bitstream.withUnsafeBufferPointer { image in
            try exifTIFF.withUnsafeBufferPointer { exif in
                var imageData = WebPData(bytes: image.baseAddress, size: image.count)
                var exifData = WebPData(bytes: exif.baseAddress, size: exif.count)
                guard let mux = WebPMuxCreate(&imageData, 1) else {
                    throw EncodingFailed(description: "WebPMuxCreate failed")
                }
                defer { WebPMuxDelete(mux) }
                var assembled = WebPData()
                guard WebPMuxSetChunk(mux, "EXIF", &exifData, 1) == WEBP_MUX_OK,
                    WebPMuxAssemble(mux, &assembled) == WEBP_MUX_OK
                else {
                    throw EncodingFailed(description: "WebPMux could not add the EXIF chunk")
                }
                defer { WebPDataClear(&assembled) }
                return Array(UnsafeBufferPointer(start: assembled.bytes, count: assembled.size))
            }
        }
    }

    /// Encodes RGB or RGBA samples as a HEIF still image with libheif: HEVC (HEIC, as phones write it) or AV1
    /// (AVIF). `orientation` (EXIF numbering, 1...8) is written as the file's own `irot`/`imir` transformation,
    /// so a reader shows the samples turned that way, as a phone's sideways-stored HEIC.
    public static func heif(
        _ samples: [UInt8], width: Int, height: Int, channels: Int, quality: Int32 = 90,
        compression: heif_compression_format = heif_compression_HEVC, orientation: Int = 1
    ) throws -> [UInt8] {
        func check(_ error: heif_error, _ what: String) throws {
            guard error.code == heif_error_Ok else {
                throw EncodingFailed(description: "\(what): \(error.message.map { String(cString: $0) } ?? "")")
            }
        }
        guard let context = heif_context_alloc() else {
            throw EncodingFailed(description: "heif_context_alloc failed")
        }
        defer { heif_context_free(context) }
        var encoder: OpaquePointer?
        try check(heif_context_get_encoder_for_format(context, compression, &encoder), "encoder")
        defer { heif_encoder_release(encoder) }
        try check(heif_encoder_set_lossy_quality(encoder, quality), "quality")

        var image: OpaquePointer?
        let chroma = channels == 4 ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB
        try check(heif_image_create(Int32(width), Int32(height), heif_colorspace_RGB, chroma, &image), "image")
        defer { heif_image_release(image) }
        try check(heif_image_add_plane(image, heif_channel_interleaved, Int32(width), Int32(height), 8), "plane")
        var stride: Int32 = 0
        guard let plane = heif_image_get_plane(image, heif_channel_interleaved, &stride) else {
            throw EncodingFailed(description: "no plane")
        }
        samples.withUnsafeBufferPointer { source in
            for row in 0..<height {
                (plane + row * Int(stride)).update(
                    from: source.baseAddress! + row * width * channels, count: width * channels)
            }
        }
        guard let options = heif_encoding_options_alloc() else {
            throw EncodingFailed(description: "heif_encoding_options_alloc failed")
        }
        defer { heif_encoding_options_free(options) }
        options.pointee.image_orientation = heif_orientation(rawValue: UInt32(orientation))
        try check(heif_context_encode_image(context, image, encoder, options, nil), "encode")

        final class Sink {
            var bytes: [UInt8] = []
        }
        let sink = Sink()
        var writer = heif_writer()
        writer.writer_api_version = 1
        writer.write = { _, data, size, userdata in
            if let data, let userdata {
                let sink = Unmanaged<Sink>.fromOpaque(userdata).takeUnretainedValue()
                sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: size))
            }
            return heif_error(code: heif_error_Ok, subcode: heif_suberror_Unspecified, message: nil)
        }
        try withExtendedLifetime(sink) {
            try check(heif_context_write(context, &writer, Unmanaged.passUnretained(sink).toOpaque()), "write")
        }
        return sink.bytes
    }

    /// A PNG consisting of signature, a valid IHDR (correct CRC) and IEND, with no image data at all.
    public static func pngHeaderOnly(width: UInt32, height: UInt32) -> [UInt8] {
        func u32(_ value: UInt32) -> [UInt8] {
            [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typeAndData = Array(type.utf8) + data
            return u32(UInt32(data.count)) + typeAndData + u32(crc32(typeAndData))
        }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = u32(width) + u32(height) + [8, 2, 0, 0, 0]  // 8-bit truecolour, no interlace
        return signature + chunk("IHDR", ihdr) + chunk("IEND", [])
    }

    /// CRC-32 as PNG defines it (reflected polynomial 0xEDB88320), bit by bit since speed does not matter here.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
            }
        }
        return ~crc
    }
}
