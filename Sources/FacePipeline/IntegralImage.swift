import ImageDecoding

/// Running sums of an RGB image (a summed-area table), so that the sum of any rectangle is four lookups.
///
/// Every input MTCNN needs is an area average over whole source pixels (PyTorch's adaptive average pooling, which
/// facenet-pytorch's pyramid and crops use): pyramid levels of the whole photo and 24×24 or 48×48 versions of
/// candidate boxes. With the table, each output pixel costs the same however large the box, instead of a pass over
/// every source pixel in it.
struct IntegralImage {
    let width: Int
    let height: Int
    /// (width + 1) × (height + 1) entries of three interleaved channel sums; row 0 and column 0 are zero.
    private let sums: [UInt32]

    /// The largest image whose sums fit: 255 × pixels must stay below 2³².
    static let maximumPixels = Int(UInt32.max / 255)

    /// Nil when the image has more than `maximumPixels` pixels: its sums could wrap. The pipeline reduces every
    /// photo well below that first, so this is a second line of defence, not a limit callers meet.
    init?(_ image: RGBImage) {
        let (pixels, overflow) = image.width.multipliedReportingOverflow(by: image.height)
        guard !overflow, pixels <= Self.maximumPixels else { return nil }
        let width = image.width
        let height = image.height
        self.width = width
        self.height = height
        let stride = (width + 1) * 3
        var sums = [UInt32](repeating: 0, count: stride * (height + 1))
        sums.withUnsafeMutableBufferPointer { table in
            image.pixels.withUnsafeBufferPointer { pixels in
                for y in 0..<height {
                    var row: (UInt32, UInt32, UInt32) = (0, 0, 0)
                    let source = y * width * 3
                    let above = y * stride
                    let current = (y + 1) * stride
                    for x in 0..<width {
                        row.0 &+= UInt32(pixels[source + x * 3])
                        row.1 &+= UInt32(pixels[source + x * 3 + 1])
                        row.2 &+= UInt32(pixels[source + x * 3 + 2])
                        let cell = (x + 1) * 3
                        table[current + cell] = table[above + cell] &+ row.0
                        table[current + cell + 1] = table[above + cell + 1] &+ row.1
                        table[current + cell + 2] = table[above + cell + 2] &+ row.2
                    }
                }
            }
        }
        self.sums = sums
    }

    /// Resamples the region [x, x + regionWidth) × [y, y + regionHeight) of the image, where parts outside the
    /// image count as black, to targetWidth × targetHeight by area averaging, writing normalised NCHW planes.
    func resample(
        x: Int,
        y: Int,
        regionWidth: Int,
        regionHeight: Int,
        targetWidth: Int,
        targetHeight: Int,
        into destination: UnsafeMutableBufferPointer<Float>,
        normalization: ChannelNormalization
    ) {
        let columns = areaRanges(from: regionWidth, to: targetWidth).map { clamp($0, offset: x, limit: width) }
        let rows = areaRanges(from: regionHeight, to: targetHeight)
        let columnCounts = areaRanges(from: regionWidth, to: targetWidth).map(\.count)
        let plane = targetWidth * targetHeight
        let stride = (width + 1) * 3
        let channels = normalization.sourceChannels
        let means = normalization.mean
        let scales = normalization.scale
        sums.withUnsafeBufferPointer { table in
            for (outputRow, range) in rows.enumerated() {
                let (top, bottom) = clamp(range, offset: y, limit: height)
                let topRow = top * stride
                let bottomRow = bottom * stride
                for (outputColumn, (left, right)) in columns.enumerated() {
                    // Zeros beyond the image add nothing; the average still divides by the whole box.
                    let area = Float(range.count * columnCounts[outputColumn])
                    var totals: (Float, Float, Float) = (0, 0, 0)
                    if bottom > top && right > left {
                        let a = topRow + left * 3
                        let b = topRow + right * 3
                        let c = bottomRow + left * 3
                        let d = bottomRow + right * 3
                        totals.0 = Float(table[d] &- table[b] &- table[c] &+ table[a])
                        totals.1 = Float(table[d + 1] &- table[b + 1] &- table[c + 1] &+ table[a + 1])
                        totals.2 = Float(table[d + 2] &- table[b + 2] &- table[c + 2] &+ table[a + 2])
                    }
                    let pixel = outputRow * targetWidth + outputColumn
                    for channel in 0..<3 {
                        let total =
                            switch channels[channel] {
                            case 0: totals.0
                            case 1: totals.1
                            default: totals.2
                            }
                        destination[channel * plane + pixel] = (total / area - means[channel]) * scales[channel]
                    }
                }
            }
        }
    }
}

/// A source range shifted by `offset` and cut to 0…limit, as table indices (start, end).
private func clamp(_ range: Range<Int>, offset: Int, limit: Int) -> (Int, Int) {
    (min(max(range.lowerBound + offset, 0), limit), min(max(range.upperBound + offset, 0), limit))
}
