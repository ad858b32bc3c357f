public import CImageCodecs
import Foundation
import ImageDecoding

/// WebP and HEIF test inputs, made by libwebp's and libheif's own encoders.
extension Encoders {
    /// Encodes RGB or RGBA samples (`channels` 3 or 4) as a still WebP with libwebp: lossy at `quality`, or lossless.
    /// `exifTIFF`, when given, is added as an `EXIF` chunk (which makes the file an extended, VP8X, WebP).
    ///
    /// - Throws: `EncodingFailed` when libwebp cannot encode the samples or WebPMux cannot add the chunk.
    public static func webp(
        _ samples: [UInt8],
        width: Int,
        height: Int,
        channels: Int,
        quality: Float = 90,
        lossless: Bool = false,
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
    ///
    /// - Throws: `EncodingFailed` with libheif's message when no encoder is available for `compression` or a step
    ///   of encoding or writing fails.
    public static func heif(
        _ samples: [UInt8],
        width: Int,
        height: Int,
        channels: Int,
        quality: Int32 = 90,
        compression: heif_compression_format = heif_compression_HEVC,
        orientation: Int = 1
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
                    from: source.baseAddress! + row * width * channels,
                    count: width * channels
                )
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
}
