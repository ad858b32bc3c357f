import ImageDecoding

/// Area ("box") resampling, as PyTorch's `interpolate(mode: "area")` (adaptive average pooling) does it:
/// output pixel i averages the source range ⌊i·in/out⌋ ..< ⌈(i+1)·in/out⌉. MTCNN's weights were trained on
/// pyramids made this way, so the detector sees what it expects.
///
/// The average over a rectangle is the average over rows of per-row averages, so the work is done in two
/// one-dimensional passes.
struct AreaResampler {
    let sourceWidth: Int
    let sourceHeight: Int
    let targetWidth: Int
    let targetHeight: Int
    private let columnRanges: [Range<Int>]
    private let rowRanges: [Range<Int>]

    init(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) {
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
        self.columnRanges = Self.ranges(from: sourceWidth, to: targetWidth)
        self.rowRanges = Self.ranges(from: sourceHeight, to: targetHeight)
    }

    static func ranges(from input: Int, to output: Int) -> [Range<Int>] {
        (0..<output).map { index in
            let start = (index * input) / output
            let end = ((index + 1) * input + output - 1) / output
            return start..<max(end, start + 1)
        }
    }

    /// Resamples interleaved RGB bytes and writes normalised planes (NCHW, one image) to `destination`.
    /// `destination` must hold 3 × targetWidth × targetHeight floats.
    func resample(
        _ source: UnsafeBufferPointer<UInt8>,
        into destination: UnsafeMutableBufferPointer<Float>,
        normalization: ChannelNormalization
    ) {
        // Pass 1: every source row averaged into target columns (interleaved RGB floats).
        var rows = [Float](repeating: 0, count: sourceHeight * targetWidth * 3)
        rows.withUnsafeMutableBufferPointer { rows in
            for y in 0..<sourceHeight {
                let sourceRow = y * sourceWidth * 3
                let targetRow = y * targetWidth * 3
                for (x, range) in columnRanges.enumerated() {
                    var r: Float = 0
                    var g: Float = 0
                    var b: Float = 0
                    for column in range {
                        let index = sourceRow + column * 3
                        r += Float(source[index])
                        g += Float(source[index + 1])
                        b += Float(source[index + 2])
                    }
                    let weight = 1 / Float(range.count)
                    rows[targetRow + x * 3] = r * weight
                    rows[targetRow + x * 3 + 1] = g * weight
                    rows[targetRow + x * 3 + 2] = b * weight
                }
            }
            // Pass 2: row averages per target row, normalised and written plane by plane.
            let plane = targetWidth * targetHeight
            let channels = normalization.sourceChannels
            let means = normalization.mean
            let scales = normalization.scale
            var sums = [Float](repeating: 0, count: targetWidth * 3)
            for (y, range) in rowRanges.enumerated() {
                for index in sums.indices { sums[index] = 0 }
                for row in range {
                    let offset = row * targetWidth * 3
                    for index in 0..<(targetWidth * 3) { sums[index] += rows[offset + index] }
                }
                let weight = 1 / Float(range.count)
                for channel in 0..<3 {
                    let sourceChannel = channels[channel]
                    let mean = means[channel]
                    let scale = scales[channel]
                    let planeOffset = channel * plane + y * targetWidth
                    for x in 0..<targetWidth {
                        destination[planeOffset + x] = (sums[x * 3 + sourceChannel] * weight - mean) * scale
                    }
                }
            }
        }
    }
}

extension RGBImage {
    /// The part of the image inside [x0, x0+width) × [y0, y0+height), with black where the region leaves the image.
    func crop(x x0: Int, y y0: Int, width: Int, height: Int) -> RGBImage {
        var output = [UInt8](repeating: 0, count: width * height * 3)
        let firstColumn = max(0, x0)
        let lastColumn = min(self.width, x0 + width)
        guard firstColumn < lastColumn else { return RGBImage(width: width, height: height, pixels: output) }
        let rowBytes = (lastColumn - firstColumn) * 3
        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for row in max(0, y0)..<min(self.height, y0 + height) {
                    let from = (row * self.width + firstColumn) * 3
                    let to = ((row - y0) * width + (firstColumn - x0)) * 3
                    (target.baseAddress! + to).update(from: source.baseAddress! + from, count: rowBytes)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: output)
    }
}
