/// Decodes untrusted JPEG, PNG, WebP and HEIF bytes into upright 8-bit RGB.
///
/// The decoder holds only its limits; every call creates and frees its own codec handles, so one value can be
/// shared freely across tasks and threads.
///
/// Inputs are checked in a fixed order so that hostile data is rejected as cheaply as possible: emptiness, then
/// `limits.maxBytes`, then the magic bytes, then the header's dimensions against `limits.maxPixels`. Only then is
/// pixel memory allocated.
public struct ImageDecoder: Sendable {
    /// The byte and pixel limits every probe and decode enforces.
    public var limits: ImageLimits

    /// Creates a decoder with the given limits (10 MB and 40 megapixels by default).
    public init(limits: ImageLimits = .init()) {
        self.limits = limits
    }

    /// Decodes an image, applying its EXIF orientation so that the result is upright.
    ///
    /// - Parameters:
    ///   - bytes: The encoded file.
    ///   - maxWorkingSide: The longer side the caller intends to work at. When the stored image's longer side is
    ///     larger, JPEGs are decoded with libjpeg-turbo's DCT scaling at the smallest of 1/2, 1/4 and 1/8 that still
    ///     leaves the longer side at least this long, which is much cheaper than decoding in full and resizing.
    ///     The result may therefore still be larger than `maxWorkingSide`; resize further if an exact size is
    ///     needed. PNG, WebP and HEIF images are always decoded at full size. `nil` decodes at full size; values
    ///     below 1 select the smallest scale.
    /// - Returns: The upright pixels plus what is needed to map coordinates back to the stored image.
    /// - Throws: `ImageDecodingError`: `.empty`, `.tooManyBytes`, `.unsupportedFormat` or `.tooManyPixels` from the
    ///   checks above; `.corrupt`, `.truncated` or `.animated` from the codec.
    public func decode(_ bytes: UnsafeRawBufferPointer, maxWorkingSide: Int? = nil) throws(ImageDecodingError)
        -> DecodedImage
    {
        let format = try checkedFormat(of: bytes)
        switch format {
        case .jpeg:
            return try JPEGCodec.decode(bytes, limits: limits, maxWorkingSide: maxWorkingSide)
        case .png:
            return try PNGCodec.decode(bytes, limits: limits)
        case .webp:
            return try WebPCodec.decode(bytes, limits: limits)
        case .heif:
            return try HEIFCodec.decode(bytes, limits: limits)
        }
    }

    /// Decodes an image held in any byte collection, such as `[UInt8]`, `ArraySlice<UInt8>` or `Data`.
    ///
    /// Contiguous collections are decoded in place; others are copied once (after the byte limit is checked).
    ///
    /// - Throws: `ImageDecodingError`, as the `UnsafeRawBufferPointer` overload does.
    public func decode(_ bytes: some Collection<UInt8>, maxWorkingSide: Int? = nil) throws(ImageDecodingError)
        -> DecodedImage
    {
        try withContiguousBytes(bytes) { buffer throws(ImageDecodingError) in
            try decode(buffer, maxWorkingSide: maxWorkingSide)
        }
    }

    /// Reads the format, stored dimensions and EXIF orientation without decoding pixels.
    ///
    /// `limits.maxBytes` applies as for `decode`, but `limits.maxPixels` does not: reporting the dimensions of an
    /// oversized image is what a probe is for.
    ///
    /// A PNG may place its eXIf chunk after the image data (rare, but allowed); a probe stops before the image data
    /// and then reports orientation 1, while `decode` reads the whole file and applies it.
    ///
    /// - Throws: `ImageDecodingError`: `.empty`, `.tooManyBytes` or `.unsupportedFormat` from the checks, `.corrupt`
    ///   or `.truncated` for a header that cannot be read.
    public func probe(_ bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) -> ImageHeader {
        let format = try checkedFormat(of: bytes)
        switch format {
        case .jpeg:
            return try JPEGCodec.probe(bytes)
        case .png:
            return try PNGCodec.probe(bytes)
        case .webp:
            return try WebPCodec.probe(bytes)
        case .heif:
            return try HEIFCodec.probe(bytes)
        }
    }

    /// Reads the format, stored dimensions and EXIF orientation of an image held in any byte collection.
    ///
    /// - Throws: `ImageDecodingError`, as the `UnsafeRawBufferPointer` overload does.
    public func probe(_ bytes: some Collection<UInt8>) throws(ImageDecodingError) -> ImageHeader {
        try withContiguousBytes(bytes) { buffer throws(ImageDecodingError) in
            try probe(buffer)
        }
    }

    /// Identifies an image format from its leading bytes, or returns `nil` when it is none of JPEG, PNG, WebP and
    /// HEIF.
    public static func format(of bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            return .jpeg
        }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return .png
        }
        if WebPCodec.isWebP(bytes) {
            return .webp
        }
        if HEIFCodec.isHEIF(bytes) {
            return .heif
        }
        return nil
    }

    private func checkedFormat(of bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) -> ImageFormat {
        guard !bytes.isEmpty else {
            throw .empty
        }
        guard bytes.count <= limits.maxBytes else {
            throw .tooManyBytes(limit: limits.maxBytes)
        }
        guard let format = Self.format(of: bytes) else {
            throw .unsupportedFormat
        }
        return format
    }

    private func withContiguousBytes<Value>(
        _ bytes: some Collection<UInt8>,
        _ body: (UnsafeRawBufferPointer) throws(ImageDecodingError) -> Value
    ) throws(ImageDecodingError) -> Value {
        // The limit is checked before a non-contiguous collection would be copied.
        guard bytes.count <= limits.maxBytes else {
            throw .tooManyBytes(limit: limits.maxBytes)
        }
        // `withContiguousStorageIfAvailable` only rethrows untyped errors, so the typed error travels in a Result.
        let outcome =
            bytes.withContiguousStorageIfAvailable { buffer in
                Result { () throws(ImageDecodingError) in try body(UnsafeRawBufferPointer(buffer)) }
            }
            ?? Array(bytes).withUnsafeBytes { buffer in
                Result { () throws(ImageDecodingError) in try body(buffer) }
            }
        return try outcome.get()
    }
}
