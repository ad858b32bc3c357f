public import FaceMatrixCore
public import ImageDecoding

/// Simple, obviously-correct pixel operations that serve as references for the decoder's output.
public enum ImageMath {
    /// The mean absolute difference per sample, 0…255, between two images of the same size.
    public static func meanAbsoluteDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "dimensions differ")
        var total = 0
        for index in a.pixels.indices {
            total += abs(Int(a.pixels[index]) - Int(b.pixels[index]))
        }
        return Double(total) / Double(max(a.pixels.count, 1))
    }

    /// The mean over all samples (every channel of every pixel), 0…255.
    public static func mean(_ image: RGBImage) -> Double {
        Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(max(image.pixels.count, 1))
    }

    /// The population standard deviation over all samples, in 0…255 units.
    public static func standardDeviation(_ image: RGBImage) -> Double {
        let mean = mean(image)
        let sum = image.pixels.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
        return (sum / Double(max(image.pixels.count, 1))).squareRoot()
    }

    /// The R, G and B samples of pixel (x, y).
    public static func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
        let offset = 3 * (y * image.width + x)
        return Array(image.pixels[offset..<offset + 3])
    }

    /// Averages `factor`×`factor` blocks; edge blocks average only the pixels that exist, like libjpeg's scaling.
    public static func boxDownsample(_ image: RGBImage, by factor: Int) -> RGBImage {
        let width = (image.width + factor - 1) / factor
        let height = (image.height + factor - 1) / factor
        var pixels = [UInt8](repeating: 0, count: 3 * width * height)
        for y in 0..<height {
            for x in 0..<width {
                var sums = [0, 0, 0]
                var count = 0
                for sy in (y * factor)..<min((y + 1) * factor, image.height) {
                    for sx in (x * factor)..<min((x + 1) * factor, image.width) {
                        let offset = 3 * (sy * image.width + sx)
                        for channel in 0..<3 {
                            sums[channel] += Int(image.pixels[offset + channel])
                        }
                        count += 1
                    }
                }
                for channel in 0..<3 {
                    pixels[3 * (y * width + x) + channel] = UInt8((sums[channel] + count / 2) / count)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Builds an image whose pixel (x, y) is copied from `source` at the coordinates `sourcePoint(x, y)` returns.
    public static func remapped(
        _ source: RGBImage,
        width: Int,
        height: Int,
        _ sourcePoint: (Int, Int) -> (x: Int, y: Int)
    ) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: 3 * width * height)
        for y in 0..<height {
            for x in 0..<width {
                let point = sourcePoint(x, y)
                let from = 3 * (point.y * source.width + point.x)
                let to = 3 * (y * width + x)
                pixels[to] = source.pixels[from]
                pixels[to + 1] = source.pixels[from + 1]
                pixels[to + 2] = source.pixels[from + 2]
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A quarter turn clockwise: the top row becomes the right-hand column.
    public static func rotatedClockwise(_ image: RGBImage) -> RGBImage {
        remapped(image, width: image.height, height: image.width) { x, y in (y, image.height - 1 - x) }
    }

    /// Left and right exchanged.
    public static func mirrored(_ image: RGBImage) -> RGBImage {
        remapped(image, width: image.width, height: image.height) { x, y in (image.width - 1 - x, y) }
    }

    /// How a camera stores an upright picture under each EXIF orientation, composed from the two primitives above
    /// so that the reference shares no code with the decoder's transform.
    public static func stored(fromUpright upright: RGBImage, orientation: Int) -> RGBImage {
        let rotated180 = { (image: RGBImage) in rotatedClockwise(rotatedClockwise(image)) }
        switch orientation {
        case 1: return upright
        case 2: return mirrored(upright)
        case 3: return rotated180(upright)
        case 4: return mirrored(rotated180(upright))  // vertical flip
        case 5: return mirrored(rotatedClockwise(upright))  // transpose
        case 6: return rotated180(rotatedClockwise(upright))  // a quarter turn counter-clockwise
        case 7: return rotated180(mirrored(rotatedClockwise(upright)))  // transverse
        case 8: return rotatedClockwise(upright)
        default: fatalError("orientation \(orientation)")
        }
    }
}

extension SeededGenerator {
    /// `count` uniformly random bytes, reproducible from the generator's seed.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}
