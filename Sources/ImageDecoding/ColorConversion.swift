/// Per-pixel conversions that the C codecs do not provide.
enum ColorConversion {
    /// Converts 4-channel CMYK samples to RGB with the naive formula; a colour-managed conversion would need the
    /// embedded ICC profile and a CMS, which is far beyond what face detection needs.
    ///
    /// - Parameter adobeInverted: Whether samples store `255 - ink` (what Adobe applications write, flagged by their
    ///   `APP14` segment) rather than the ink amount itself.
    static func rgb(fromCMYK cmyk: [UInt8], width: Int, height: Int, adobeInverted: Bool) -> RGBImage {
        let pixelCount = width * height
        precondition(cmyk.count == 4 * pixelCount)
        let pixels = [UInt8](unsafeUninitializedCapacity: 3 * pixelCount) { output, initializedCount in
            cmyk.withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let destination = output.baseAddress else {
                    return
                }
                // With `x` = 255 - ink, each channel is x_colour * x_black / 255; flipping the non-Adobe samples
                // first lets both conventions share the same arithmetic.
                let flip: UInt32 = adobeInverted ? 0 : 0xFF
                for index in 0..<pixelCount {
                    let s = source + 4 * index
                    let d = destination + 3 * index
                    let black = UInt32(s[3]) ^ flip
                    d[0] = divideBy255(UInt32(s[0]) ^ flip, times: black)
                    d[1] = divideBy255(UInt32(s[1]) ^ flip, times: black)
                    d[2] = divideBy255(UInt32(s[2]) ^ flip, times: black)
                }
            }
            initializedCount = 3 * pixelCount
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Composites RGBA samples over white.
    ///
    /// White rather than dropping alpha, because the colour under fully transparent pixels is arbitrary (often
    /// black or left-over editing content) and would otherwise leak into detection; cut-out portraits, which are
    /// the common transparent input, then look like photos taken against a plain light backdrop.
    static func rgb(compositingOverWhite rgba: [UInt8], width: Int, height: Int) -> RGBImage {
        let pixelCount = width * height
        precondition(rgba.count == 4 * pixelCount)
        let pixels = [UInt8](unsafeUninitializedCapacity: 3 * pixelCount) { output, initializedCount in
            rgba.withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let destination = output.baseAddress else {
                    return
                }
                for index in 0..<pixelCount {
                    let s = source + 4 * index
                    let d = destination + 3 * index
                    let alpha = UInt32(s[3])
                    let background = 255 * (255 - alpha)
                    d[0] = divideBy255(UInt32(s[0]), times: alpha, plus: background)
                    d[1] = divideBy255(UInt32(s[1]), times: alpha, plus: background)
                    d[2] = divideBy255(UInt32(s[2]), times: alpha, plus: background)
                }
            }
            initializedCount = 3 * pixelCount
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// `round((a * b + c) / 255)` for results in 0...255, without a division.
    @inline(__always)
    private static func divideBy255(_ a: UInt32, times b: UInt32, plus c: UInt32 = 0) -> UInt8 {
        let biased = a &* b &+ c &+ 128
        return UInt8(truncatingIfNeeded: (biased &+ (biased >> 8)) >> 8)
    }
}
