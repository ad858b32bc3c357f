/// The metadata segments that TurboJPEG 2.1 does not expose, found by walking the markers before the first scan.
struct JPEGMarkers {
    /// The TIFF structure inside the first `APP1` Exif segment, with its `Exif\0\0` prefix (the form libexif reads).
    var exifPayload: Range<Int>?
    /// The transform byte of an `APP14` Adobe segment; its presence is what marks CMYK data as Adobe-inverted.
    var adobeTransform: UInt8?

    /// Walks the marker segments from SOI up to the first SOS.
    ///
    /// Only truncation is reported here, because a missing header segment would otherwise surface from libjpeg as a
    /// misleading "no image" error. Any other oddity just ends the walk and is left for libjpeg to judge.
    init(scanning bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) {
        var position = 2  // after SOI
        while let marker = try Self.nextMarker(in: bytes, at: &position) {
            switch marker {
            case 0xDA, 0xD9:  // SOS: the header is complete. EOI: libjpeg reports the missing image.
                return
            case 0x01, 0xD0...0xD7:  // Stand-alone markers without a length field.
                continue
            default:
                guard let payload = try Self.segmentPayload(in: bytes, at: position) else { return }
                record(marker, payload, in: bytes)
                position = payload.upperBound
            }
        }
    }

    /// The marker code at `position` (after any 0xFF fill bytes), moving past it; nil when no marker starts there.
    private static func nextMarker(in bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ImageDecodingError)
        -> UInt8?
    {
        guard position < bytes.count else { throw .truncated }
        guard bytes[position] == 0xFF else { return nil }
        // Any number of 0xFF fill bytes may precede a marker code.
        while position < bytes.count && bytes[position] == 0xFF { position += 1 }
        guard position < bytes.count else { throw .truncated }
        defer { position += 1 }
        return bytes[position]
    }

    /// The payload of the segment whose length field is at `position`; nil for an impossible length.
    private static func segmentPayload(in bytes: UnsafeRawBufferPointer, at position: Int) throws(ImageDecodingError)
        -> Range<Int>?
    {
        guard position + 2 <= bytes.count else { throw .truncated }
        let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
        guard length >= 2 else { return nil }
        let payload = (position + 2)..<(position + length)
        guard payload.upperBound <= bytes.count else { throw .truncated }
        return payload
    }

    /// Keeps the segments the decoder needs: the first Exif APP1, and the Adobe APP14's transform byte.
    private mutating func record(_ marker: UInt8, _ payload: Range<Int>, in bytes: UnsafeRawBufferPointer) {
        if marker == 0xE1 && exifPayload == nil && Self.payload(payload, in: bytes, startsWith: Self.exifSignature) {
            exifPayload = payload
        } else if marker == 0xEE && payload.count >= 12
            && Self.payload(payload, in: bytes, startsWith: Self.adobeSignature)
        {
            // "Adobe", version (2 bytes), flags0 (2), flags1 (2), then the transform byte.
            adobeTransform = bytes[payload.lowerBound + 11]
        }
    }

    private static let exifSignature: [UInt8] = Array("Exif\0\0".utf8)
    private static let adobeSignature: [UInt8] = Array("Adobe".utf8)

    private static func payload(
        _ range: Range<Int>,
        in bytes: UnsafeRawBufferPointer,
        startsWith signature: [UInt8]
    ) -> Bool {
        range.count >= signature.count && bytes[range].starts(with: signature)
    }
}
