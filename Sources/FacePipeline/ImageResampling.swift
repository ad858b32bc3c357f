import ImageDecoding

/// The source ranges of area ("box") resampling as PyTorch's `interpolate(mode: "area")` (adaptive average
/// pooling) defines them: output i averages inputs ⌊i·in/out⌋ ..< ⌈(i+1)·in/out⌉. MTCNN's weights were trained
/// on pyramids made this way, so the detector sees what it expects.
func areaRanges(from input: Int, to output: Int) -> [Range<Int>] {
    (0..<output).map { index in
        let start = (index * input) / output
        let end = ((index + 1) * input + output - 1) / output
        return start..<max(end, start + 1)
    }
}

extension RGBImage {
    /// The image shrunk by a whole factor, each output pixel the mean of a factor × factor block (edge pixels
    /// that do not fill a block are dropped).
    func reduced(by factor: Int) -> RGBImage {
        guard factor > 1 else { return self }
        let outputWidth = width / factor
        let outputHeight = height / factor
        var output = [UInt8](repeating: 0, count: outputWidth * outputHeight * 3)
        let area = UInt32(factor * factor)
        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                var sums = [UInt32](repeating: 0, count: outputWidth * 3)
                for outputRow in 0..<outputHeight {
                    for index in sums.indices { sums[index] = 0 }
                    for row in (outputRow * factor)..<((outputRow + 1) * factor) {
                        let base = row * width * 3
                        for x in 0..<(outputWidth * factor) {
                            let cell = (x / factor) * 3
                            sums[cell] &+= UInt32(source[base + x * 3])
                            sums[cell + 1] &+= UInt32(source[base + x * 3 + 1])
                            sums[cell + 2] &+= UInt32(source[base + x * 3 + 2])
                        }
                    }
                    for index in sums.indices {
                        target[outputRow * outputWidth * 3 + index] = UInt8((sums[index] + area / 2) / area)
                    }
                }
            }
        }
        return RGBImage(width: outputWidth, height: outputHeight, pixels: output)
    }
}
