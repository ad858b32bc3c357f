import CImageCodecs

/// Reading the EXIF orientation tag and turning stored pixels upright.
enum EXIFOrientation {
    /// Orientations 5...8 store the picture on its side, so the upright image has width and height exchanged.
    static func swapsAxes(_ orientation: Int) -> Bool {
        orientation >= 5 && orientation <= 8
    }

    /// Reads tag 0x0112 from IFD0 of an EXIF block that starts with `Exif\0\0` followed by a TIFF header.
    ///
    /// Returns 1 for anything unusable (no tag, wrong type, out-of-range value, malformed TIFF), because a wrong
    /// rotation hurts recognition less than rejecting an otherwise decodable photo.
    static func read(fromExifPayload payload: UnsafeRawBufferPointer) -> Int {
        guard let base = payload.baseAddress?.assumingMemoryBound(to: UInt8.self), !payload.isEmpty,
            let exif = exif_data_new()
        else {
            return 1
        }
        defer { exif_data_unref(exif) }
        // By default libexif "repairs" the data to the specification, which adds tags and costs time; we only read.
        exif_data_unset_option(exif, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION)
        exif_data_load_data(exif, base, UInt32(clamping: payload.count))

        guard let ifd0 = exif.pointee.ifd.0,
            let entry = exif_content_get_entry(ifd0, EXIF_TAG_ORIENTATION),
            entry.pointee.format == EXIF_FORMAT_SHORT,
            entry.pointee.components >= 1,
            entry.pointee.size >= 2,
            let data = entry.pointee.data
        else {
            return 1
        }
        let value = Int(exif_get_short(data, exif_data_get_byte_order(exif)))
        return (1...8).contains(value) ? value : 1
    }

    /// Reads the orientation from a bare TIFF structure, as stored in a PNG `eXIf` chunk.
    static func read(fromTIFF tiff: UnsafeRawBufferPointer) -> Int {
        // libexif only recognises EXIF data behind the JPEG APP1 signature, so give it one.
        var payload: [UInt8] = Array("Exif\0\0".utf8)
        payload.append(contentsOf: tiff)
        return payload.withUnsafeBytes { read(fromExifPayload: $0) }
    }

    /// Rotates and/or mirrors stored pixels so that they appear as the EXIF orientation says they should be viewed.
    static func upright(_ image: RGBImage, orientation: Int) -> RGBImage {
        guard orientation >= 2 && orientation <= 8 else {
            return image
        }
        let width = image.width
        let height = image.height
        // Where stored pixel (x, y) lands in the upright image, as a pixel index `start + x * xStep + y * yStep`.
        // Derived from the tag's definition of which visual side the stored row 0 and column 0 lie on.
        let (start, xStep, yStep): (Int, Int, Int)
        switch orientation {
        case 2: (start, xStep, yStep) = (width - 1, -1, width)  // mirrored horizontally
        case 3: (start, xStep, yStep) = (width * height - 1, -1, -width)  // rotated 180°
        case 4: (start, xStep, yStep) = ((height - 1) * width, 1, -width)  // mirrored vertically
        case 5: (start, xStep, yStep) = (0, height, 1)  // transposed
        case 6: (start, xStep, yStep) = (height - 1, height, -1)  // stored rotated 90° counter-clockwise
        case 7: (start, xStep, yStep) = (width * height - 1, -height, -1)  // transversed
        default: (start, xStep, yStep) = ((width - 1) * height, -height, 1)  // 8: stored rotated 90° clockwise
        }
        let uprightWidth = swapsAxes(orientation) ? height : width
        let uprightHeight = swapsAxes(orientation) ? width : height

        let pixelCount = width * height
        let pixels = [UInt8](unsafeUninitializedCapacity: 3 * pixelCount) { output, initializedCount in
            image.pixels.withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let destination = output.baseAddress else {
                    return
                }
                // Square tiles keep both the reads and the (strided) writes of a quarter turn inside the cache.
                let tile = 64
                for tileY in stride(from: 0, to: height, by: tile) {
                    for tileX in stride(from: 0, to: width, by: tile) {
                        for y in tileY..<min(tileY + tile, height) {
                            var s = 3 * (y * width + tileX)
                            var d = 3 * (start + tileX * xStep + y * yStep)
                            for _ in tileX..<min(tileX + tile, width) {
                                destination[d] = source[s]
                                destination[d + 1] = source[s + 1]
                                destination[d + 2] = source[s + 2]
                                s += 3
                                d += 3 * xStep
                            }
                        }
                    }
                }
            }
            initializedCount = 3 * pixelCount
        }
        return RGBImage(width: uprightWidth, height: uprightHeight, pixels: pixels)
    }
}
