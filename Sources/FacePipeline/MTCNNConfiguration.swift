/// MTCNN's tuning knobs. The pyramid, threshold and NMS defaults are the published ones (Zhang et al. 2016, as
/// facenet-pytorch uses them); `minimumConfidence` and `maximumPyramidSide` are this project's.
public struct MTCNNConfiguration: Sendable, Equatable {
    /// Smallest face, in pixels of the working image, that the pyramid looks for.
    public var minimumFaceSize: Double = 20
    /// Ratio between successive pyramid levels, 0…1 (0.709 ≈ 1/√2 halves the area per level).
    public var scaleFactor: Double = 0.709
    /// Face-probability thresholds (0…1) of P-Net, R-Net and O-Net.
    public var thresholds: (pnet: Float, rnet: Float, onet: Float) = (0.6, 0.7, 0.7)
    /// Overlap (IoU) above which the lower-scoring of two candidates is dropped by non-maximum suppression: within
    /// one pyramid level, across levels, after R-Net, and after O-Net (where the overlap is measured against the
    /// smaller box).
    public var nmsThresholds: (pnetLevel: Float, pnetAll: Float, rnet: Float, onet: Float) = (0.5, 0.7, 0.7, 0.7)
    /// Faces O-Net accepts but rates below this are not reported. MTCNN's published O-Net threshold (0.7) lets
    /// through face-like background blurs at 0.75–0.9, while real faces, even partial or small ones, score above
    /// 0.95 on the project's test photos.
    public var minimumConfidence: Float = 0.9
    /// The pyramid's largest level is at most this many pixels on its longer side. On big photos this raises the
    /// smallest face found above `minimumFaceSize` (to longer side × 12 / this), which keeps P-Net's cost bounded;
    /// nil looks for `minimumFaceSize` at any image size.
    public var maximumPyramidSide: Int? = 1024

    /// The defaults given on each property.
    public init() {}

    /// Compares every setting (written out because tuples cannot conform to `Equatable`).
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.minimumFaceSize == rhs.minimumFaceSize && lhs.scaleFactor == rhs.scaleFactor
            && lhs.minimumConfidence == rhs.minimumConfidence && lhs.maximumPyramidSide == rhs.maximumPyramidSide
            && lhs.thresholds == rhs.thresholds && lhs.nmsThresholds == rhs.nmsThresholds
    }

    /// The pyramid's scales for an image of `width` × `height` pixels: the first maps the minimum face size onto
    /// P-Net's 12-pixel window, the last still leaves 12 pixels.
    public func pyramidScales(width: Int, height: Int) -> [Double] {
        var scales: [Double] = []
        var scale = 12 / minimumFaceSize
        if let maximumPyramidSide {
            scale = min(scale, Double(maximumPyramidSide) / Double(max(width, height)))
        }
        var side = Double(min(width, height)) * scale
        while side >= 12 {
            scales.append(scale)
            scale *= scaleFactor
            side *= scaleFactor
        }
        return scales
    }
}
