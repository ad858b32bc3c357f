public import CImageCodecs
import Foundation
import ImageDecoding

/// PNG test inputs: every colour type and bit depth, and headers alone.
extension Encoders {
    /// The IHDR fields and ancillary chunks of a PNG that `png(_:width:height:options:)` writes.
    public struct PNGOptions {
        /// Bits per sample: 1, 2, 4, 8 or 16, as the colour type allows.
        public var bitDepth: UInt8 = 8
        /// The PNG colour type (greyscale, truecolour, indexed, with or without alpha).
        public var colorType: spng_color_type = SPNG_COLOR_TYPE_TRUECOLOR
        /// PLTE entries (red, green, blue) for indexed images; none writes no PLTE chunk.
        public var palette: [(UInt8, UInt8, UInt8)] = []
        /// tRNS alpha per palette entry, from the first; none writes no tRNS chunk.
        public var paletteAlpha: [UInt8] = []
        /// A bare TIFF structure to store as an eXIf chunk (see `tiffWithOrientation(_:bigEndian:)`).
        public var exifTIFF: [UInt8]? = nil
        /// Whether to write Adam7 interlacing.
        public var interlaced = false

        /// Creates options; the defaults describe an 8-bit truecolour PNG without ancillary chunks.
        public init(
            bitDepth: UInt8 = 8,
            colorType: spng_color_type = SPNG_COLOR_TYPE_TRUECOLOR,
            palette: [(UInt8, UInt8, UInt8)] = [],
            paletteAlpha: [UInt8] = [],
            exifTIFF: [UInt8]? = nil,
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
    ///
    /// - Throws: `EncodingFailed` with libspng's message when it refuses the options or the samples.
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
            width: UInt32(width),
            height: UInt32(height),
            bit_depth: options.bitDepth,
            color_type: UInt8(options.colorType.rawValue),
            compression_method: 0,
            filter_method: 0,
            interlace_method: options.interlaced ? 1 : 0
        )
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
                    data: UnsafeMutableRawPointer(exifBytes.baseAddress!).assumingMemoryBound(to: CChar.self)
                )
                try check(spng_set_exif(context, &exif), "exif")
            }
            try samples.withUnsafeBytes { image in
                try check(
                    spng_encode_image(
                        context,
                        image.baseAddress,
                        image.count,
                        Int32(SPNG_FMT_PNG.rawValue),
                        Int32(SPNG_ENCODE_FINALIZE.rawValue)
                    ),
                    "encode"
                )
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
    ///
    /// - Returns: Width, height and `4 × width × height` RGBA bytes.
    /// - Throws: `EncodingFailed` when libspng cannot read the header or the image.
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
                    context,
                    out.baseAddress,
                    size,
                    Int32(SPNG_FMT_RGBA8.rawValue),
                    Int32(SPNG_DECODE_TRNS.rawValue)
                )
            }
            guard status == 0 else {
                throw EncodingFailed(description: String(cString: spng_strerror(status)))
            }
            return (Int(header.width), Int(header.height), pixels)
        }
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
