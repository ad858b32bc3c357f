public import CImageCodecs
import Foundation
public import ImageDecoding

/// Builds test inputs at run time so that no derived image files need to be committed.
public enum Encoders {
    /// An encoder or reference decoder failed; the test input could not be made.
    public struct EncodingFailed: Error, CustomStringConvertible {
        /// What failed, with the library's message.
        public var description: String
    }

    /// Compresses packed pixels with TurboJPEG. `pixelFormat` decides the JPEG colour space: `TJPF_GRAY` gives a
    /// greyscale JPEG and `TJPF_CMYK` an Adobe YCCK JPEG.
    ///
    /// - Throws: `EncodingFailed` with TurboJPEG's message.
    public static func jpeg(
        _ pixels: [UInt8],
        width: Int,
        height: Int,
        pixelFormat: TJPF,
        subsampling: TJSAMP = TJSAMP_420,
        quality: Int32 = 95,
        flags: Int32 = 0
    ) throws -> [UInt8] {
        guard let handle = tjInitCompress() else {
            throw EncodingFailed(description: "tjInitCompress failed")
        }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer { source in
            tjCompress2(
                handle,
                source.baseAddress,
                Int32(width),
                0,
                Int32(height),
                pixelFormat.rawValue,
                &output,
                &size,
                Int32(subsampling.rawValue),
                quality,
                flags
            )
        }
        defer { tjFree(output) }
        guard status == 0, let output else {
            throw EncodingFailed(description: String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// Compresses an RGB image as a 4:2:0 JPEG at `quality` (1…100).
    ///
    /// - Throws: `EncodingFailed` with TurboJPEG's message.
    public static func jpeg(_ image: RGBImage, quality: Int32 = 95) throws -> [UInt8] {
        try jpeg(image.pixels, width: image.width, height: image.height, pixelFormat: TJPF_RGB, quality: quality)
    }

    /// Transforms a JPEG without re-encoding it (rotating or flipping its DCT blocks, as `jpegtran` does), so the
    /// result carries exactly the original's picture information. Partial edge blocks are trimmed.
    /// With `wholeBlocksOnly`, the picture is first cut to whole 16×16 blocks, after which every rotation is exact
    /// and keeps the size.
    ///
    /// - Throws: `EncodingFailed` with TurboJPEG's message.
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
                    handle,
                    source.baseAddress,
                    UInt(source.count),
                    &width,
                    &height,
                    &subsampling,
                    &colorspace
                )
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
    ///
    /// - Returns: Width, height and `channels × width × height` bytes.
    /// - Throws: `EncodingFailed` with TurboJPEG's message.
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
                handle,
                jpeg,
                UInt(jpeg.count),
                buffer.baseAddress,
                width,
                0,
                height,
                pixelFormat.rawValue,
                0
            )
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

}
