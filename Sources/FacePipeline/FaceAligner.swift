public import FaceMatrixCore
public import ImageDecoding

/// A face cut out of a photo at the embedder's input size: interleaved RGB as floats in 0…255.
public struct AlignedFace: Sendable {
    /// Width of the crop in pixels.
    public let width: Int
    /// Height of the crop in pixels.
    public let height: Int
    /// `3 × width × height` values, row by row from the top-left pixel; 0 (black) where the crop lies outside the
    /// photo.
    public var pixels: [Float]
}

/// Cuts faces out of a photo the way the embedding model was trained to see them: the five landmarks warped onto
/// the model's template by a similarity transform, or the detection box plus a margin.
public struct FaceAligner: Sendable {
    /// Where on the photo the crop is taken from.
    public enum Method: Sendable, Equatable {
        /// Template points in pixels of the output, in `FaceLandmarks.points` order.
        case similarity(template: [Point])
        /// Margin in pixels of the output, as facenet-pytorch's `extract_face` counts it.
        case boxMargin(margin: Double)
    }

    /// How this aligner places the crop.
    public let method: Method
    /// Width of every crop in pixels: the embedder's input width.
    public let width: Int
    /// Height of every crop in pixels: the embedder's input height.
    public let height: Int

    /// Creates an aligner that makes `width` × `height` crops (pixels) placed by `method`.
    public init(method: Method, width: Int, height: Int) {
        self.method = method
        self.width = width
        self.height = height
    }

    /// Reads a model manifest's `crop` section: `similarity_5pt` with five template points, or `box_margin` with a
    /// margin in output pixels.
    ///
    /// - Throws: `ModelLoadingError.incompatible` when `size` is not two positive numbers or a `similarity_5pt`
    ///   template is not five (x, y) points; `ModelLoadingError.unsupported` for any other method, or a margin unit
    ///   other than "pixels_of_output".
    public init(crop: ModelManifest.Crop) throws(ModelLoadingError) {
        guard crop.size.count == 2, crop.size.allSatisfy({ $0 > 0 }) else {
            throw .incompatible("crop size \(crop.size)")
        }
        switch crop.method {
        case "similarity_5pt":
            guard let template = crop.template, template.count == 5, template.allSatisfy({ $0.count == 2 }) else {
                throw .incompatible("similarity_5pt needs five template points")
            }
            self.init(
                method: .similarity(template: template.map { Point(x: $0[0], y: $0[1]) }),
                width: crop.size[0],
                height: crop.size[1]
            )
        case "box_margin":
            // The margin is in output pixels, as facenet-pytorch gives it and the tooling's manifests say.
            guard crop.marginUnit == nil || crop.marginUnit == "pixels_of_output" else {
                throw .unsupported("margin unit \(crop.marginUnit ?? "")")
            }
            self.init(method: .boxMargin(margin: crop.margin ?? 0), width: crop.size[0], height: crop.size[1])
        default:
            throw .unsupported("crop method \(crop.method)")
        }
    }

    /// The transform from photo pixels to crop pixels for this face. With `.similarity`, the least-squares fit of
    /// the five landmarks onto the template, or the bare box (no margin) when the landmarks all coincide.
    public func transform(for face: DetectedFace) -> SimilarityTransform {
        switch method {
        case .similarity(let template):
            if let transform = SimilarityTransform.estimate(from: face.landmarks.points, to: template) {
                return transform
            }
            return boxTransform(for: face.box, margin: 0)
        case .boxMargin(let margin):
            return boxTransform(for: face.box, margin: margin)
        }
    }

    /// Box plus margin, scaled to the output. As in facenet-pytorch's `extract_face`, the margin is given in output
    /// pixels and converted to photo pixels with the box's own scale. Unlike `extract_face`, which clamps the
    /// widened box to the photo and resizes it to the output (stretching a non-square box), one uniform scale is
    /// taken from the box's width: the crop is centred on the box vertically, so a box taller than the output's
    /// aspect ratio loses its top and bottom, and parts beyond the photo are black.
    private func boxTransform(for box: BoundingBox, margin: Double) -> SimilarityTransform {
        let marginX = margin * box.width / (Double(width) - margin)
        let scale = Double(width) / (box.width + marginX)
        let left = box.x - marginX / 2
        let top = box.center.y - (Double(height) / scale) / 2
        return SimilarityTransform(a: scale, b: 0, tx: -left * scale, ty: -top * scale)
    }

    /// Warps the face into a `width` × `height` crop with bilinear sampling; black outside the photo.
    ///
    /// - Parameters:
    ///   - face: The detection, in pixels of `image`.
    ///   - image: The image the face was detected in.
    public func align(_ face: DetectedFace, in image: RGBImage) -> AlignedFace {
        let inverse = transform(for: face).inverse
        var output = [Float](repeating: 0, count: width * height * 3)
        let sourceWidth = image.width
        let sourceHeight = image.height
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for v in 0..<height {
                    // Walking along a row of the crop moves through the photo by a constant step.
                    var sx = inverse.a * 0 - inverse.b * Double(v) + inverse.tx
                    var sy = inverse.b * 0 + inverse.a * Double(v) + inverse.ty
                    for u in 0..<width {
                        defer {
                            sx += inverse.a
                            sy += inverse.b
                        }
                        let x0 = Int(sx.rounded(.down))
                        let y0 = Int(sy.rounded(.down))
                        guard x0 >= -1, y0 >= -1, x0 < sourceWidth, y0 < sourceHeight else { continue }
                        let fx = Float(sx - Double(x0))
                        let fy = Float(sy - Double(y0))
                        let weights = ((1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy)
                        let out = (v * width + u) * 3
                        for channel in 0..<3 {
                            func sample(_ x: Int, _ y: Int) -> Float {
                                guard x >= 0, y >= 0, x < sourceWidth, y < sourceHeight else { return 0 }
                                return Float(source[(y * sourceWidth + x) * 3 + channel])
                            }
                            target[out + channel] =
                                weights.0 * sample(x0, y0) + weights.1 * sample(x0 + 1, y0)
                                + weights.2 * sample(x0, y0 + 1) + weights.3 * sample(x0 + 1, y0 + 1)
                        }
                    }
                }
            }
        }
        return AlignedFace(width: width, height: height, pixels: output)
    }
}
