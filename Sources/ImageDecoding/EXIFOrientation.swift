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
    static func upright(_ image: consuming RGBImage, orientation: Int) -> RGBImage {
        switch orientation {
        case 2, 3, 4:
            // Rows stay rows, so the freshly decoded (uniquely owned) buffer can be rearranged in place, saving a
            // second multi-megabyte allocation and its page faults.
            var pixels = image.pixels
            image.pixels = []
            pixels.withUnsafeMutableBufferPointer { buffer in
                reorderRows(buffer, width: image.width, height: image.height, orientation: orientation)
            }
            return RGBImage(width: image.width, height: image.height, pixels: pixels)
        case 5, 6, 7, 8:
            return quarterTurned(image, orientation: orientation)
        default:
            return image
        }
    }

    /// Orientations 2 (mirror), 3 (half turn) and 4 (flip) in place.
    private static func reorderRows(
        _ buffer: UnsafeMutableBufferPointer<UInt8>,
        width: Int,
        height: Int,
        orientation: Int
    ) {
        guard let base = buffer.baseAddress, width > 0, height > 0 else {
            return
        }
        let rowBytes = 3 &* width
        @inline(__always) func swapPixels(_ a: UnsafeMutablePointer<UInt8>, _ b: UnsafeMutablePointer<UInt8>) {
            let (a0, a1, a2) = (a[0], a[1], a[2])
            a[0] = b[0]
            a[1] = b[1]
            a[2] = b[2]
            b[0] = a0
            b[1] = a1
            b[2] = a2
        }
        switch orientation {
        case 2:
            for y in 0..<height {
                var left = base + y &* rowBytes
                var right = left + (rowBytes &- 3)
                while left < right {
                    swapPixels(left, right)
                    left += 3
                    right -= 3
                }
            }
        case 3:
            // A half turn reverses the order of all pixels.
            var first = base
            var last = base + (buffer.count &- 3)
            while first < last {
                swapPixels(first, last)
                first += 3
                last -= 3
            }
        default:
            let spare = UnsafeMutablePointer<UInt8>.allocate(capacity: rowBytes)
            defer { spare.deallocate() }
            for y in 0..<(height / 2) {
                let top = base + y &* rowBytes
                let bottom = base + (height &- 1 &- y) &* rowBytes
                spare.update(from: top, count: rowBytes)
                top.update(from: bottom, count: rowBytes)
                bottom.update(from: spare, count: rowBytes)
            }
        }
    }

    /// Orientations 5...8, which exchange width and height and therefore need a second buffer.
    private static func quarterTurned(_ image: RGBImage, orientation: Int) -> RGBImage {
        let width = image.width
        let height = image.height
        let uprightWidth = height
        let uprightHeight = width
        // Which stored pixel upright pixel (u, v) comes from, as the index `start + u * uStep + v * vStep`.
        // Derived from the tag's definition of which visual side the stored row 0 and column 0 lie on.
        let (start, uStep, vStep): (Int, Int, Int)
        switch orientation {
        case 5: (start, uStep, vStep) = (0, width, 1)  // transposed
        case 6: (start, uStep, vStep) = ((height - 1) * width, -width, 1)  // stored a quarter turn counter-clockwise
        case 7: (start, uStep, vStep) = (width * height - 1, -width, -1)  // transversed
        default: (start, uStep, vStep) = (width - 1, width, -1)  // 8: stored a quarter turn clockwise
        }
        let pixelCount = width * height
        let pixels = [UInt8](unsafeUninitializedCapacity: 3 * pixelCount) { output, initializedCount in
            image.pixels.withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let destination = output.baseAddress else {
                    return
                }
                // Writes run sequentially (they are the expensive side on fresh memory); the strided reads stay
                // within a square tile that fits the cache. Indices stay inside the buffers by construction, so
                // unchecked arithmetic keeps overflow branches out of the inner loop.
                let tile = 32
                let sourceStep = 3 &* uStep
                for tileV in stride(from: 0, to: uprightHeight, by: tile) {
                    for tileU in stride(from: 0, to: uprightWidth, by: tile) {
                        let columns = min(tile, uprightWidth &- tileU)
                        for v in tileV..<min(tileV &+ tile, uprightHeight) {
                            var d = destination + 3 &* (v &* uprightWidth &+ tileU)
                            var s = 3 &* (start &+ tileU &* uStep &+ v &* vStep)
                            for _ in 0..<columns {
                                d[0] = source[s]
                                d[1] = source[s &+ 1]
                                d[2] = source[s &+ 2]
                                d += 3
                                s = s &+ sourceStep
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
