/// An 8-bit RGB raster with interleaved samples (`R, G, B, R, G, B, …`), stored row by row from the top-left
/// pixel, without row padding.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Exactly `3 * width * height` bytes.
    public var pixels: [UInt8]

    /// Creates an image from interleaved RGB samples.
    ///
    /// - Precondition: `width` and `height` are non-negative and `pixels.count == 3 * width * height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "image dimensions must be non-negative")
        precondition(pixels.count == 3 * width * height, "pixel buffer must hold 3 * width * height bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Resource limits checked before any pixel memory is allocated.
public struct ImageLimits: Sendable, Equatable {
    /// Largest accepted encoded input, in bytes.
    public var maxBytes: Int
    /// Largest accepted stored `width * height`, regardless of any DCT scaling requested for the decode.
    public var maxPixels: Int

    /// Creates limits; the defaults are 10 MB and 40 megapixels.
    public init(maxBytes: Int = 10_000_000, maxPixels: Int = 40_000_000) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
    }
}

/// An encoded image format, identified from the leading magic bytes only (never from a file name or MIME type).
public enum ImageFormat: Sendable, Equatable, CaseIterable {
    /// JPEG, starting with `FF D8 FF`.
    case jpeg
    /// PNG, starting with the signature `89 50 4E 47 0D 0A 1A 0A`.
    case png
    /// WebP: a RIFF container of form type `WEBP`.
    case webp
    /// HEIF still images: HEIC (HEVC) as phones write them, and the other codings libheif reads (AVIF).
    case heif
}

/// Why an image could not be probed or decoded.
public enum ImageDecodingError: Error, Equatable, Sendable {
    /// The input holds no bytes.
    case empty
    /// The magic bytes are none of JPEG, PNG, WebP or HEIF.
    case unsupportedFormat
    /// The data is malformed; the payload is the codec's message, meant for logs rather than for clients.
    case corrupt(String)
    /// The data ends before the image is complete.
    case truncated
    /// The input is larger than `ImageLimits.maxBytes`.
    case tooManyBytes(limit: Int)
    /// The stored dimensions exceed `ImageLimits.maxPixels`.
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// A valid animation (an animated WebP); only still photos are analysed.
    case animated
}

/// What an image's header says, read without decoding any pixels.
public struct ImageHeader: Sendable, Equatable {
    /// The format identified from the magic bytes.
    public var format: ImageFormat
    /// Width as stored in the file, before EXIF orientation is applied.
    public var width: Int
    /// Height as stored in the file, before EXIF orientation is applied.
    public var height: Int
    /// EXIF orientation tag value, 1...8; 1 when the tag is absent or invalid.
    public var exifOrientation: Int

    /// Creates a header from its parts.
    public init(format: ImageFormat, width: Int, height: Int, exifOrientation: Int) {
        self.format = format
        self.width = width
        self.height = height
        self.exifOrientation = exifOrientation
    }

    /// Width after EXIF orientation is applied, i.e. as the picture is meant to be viewed.
    public var uprightWidth: Int { EXIFOrientation.swapsAxes(exifOrientation) ? height : width }
    /// Height after EXIF orientation is applied, i.e. as the picture is meant to be viewed.
    public var uprightHeight: Int { EXIFOrientation.swapsAxes(exifOrientation) ? width : height }
}

/// The result of a decode.
public struct DecodedImage: Sendable, Equatable {
    /// The upright pixels: EXIF orientation is already applied and DCT scaling, if any, is included.
    public var image: RGBImage
    /// The format the image was decoded from.
    public var format: ImageFormat
    /// Width as stored in the file, before scaling and orientation.
    public var originalWidth: Int
    /// Height as stored in the file, before scaling and orientation.
    public var originalHeight: Int
    /// The EXIF orientation that was applied to reach `image`, 1...8.
    public var exifOrientation: Int
    /// Linear scale from the stored image to `image`: 1, 1/2, 1/4 or 1/8.
    ///
    /// The scale is exact for coordinate mapping (libjpeg's scaled IDCT maps each 8×8 block onto a smaller block),
    /// so an upright point `p` in `image` corresponds to `p / decodeScale` in the upright full-size picture.
    public var decodeScale: Double

    /// Creates a decode result from its parts.
    public init(
        image: RGBImage,
        format: ImageFormat,
        originalWidth: Int,
        originalHeight: Int,
        exifOrientation: Int,
        decodeScale: Double
    ) {
        self.image = image
        self.format = format
        self.originalWidth = originalWidth
        self.originalHeight = originalHeight
        self.exifOrientation = exifOrientation
        self.decodeScale = decodeScale
    }
}
