/// MTCNN's tuning knobs. The pyramid, threshold and NMS defaults are the published ones (Zhang et al. 2016, as
/// facenet-pytorch uses them); `minimumConfidence` and `maximumPyramidSide` are this project's.
public struct MTCNNConfiguration: Sendable, Equatable {
    /// Smallest face, in pixels of the working image, that the pyramid looks for.
    public var minimumFaceSize: Double = 20
    /// Smallest face as a fraction (0…1) of the working image's shorter side; the pyramid looks for the larger of
    /// this and `minimumFaceSize`: the levels that only find smaller faces are skipped. A camera that frames one
    /// person close up so avoids the largest and dearest levels: 0.2 of a 250×250 photo starts the pyramid at 75×75
    /// pixels instead of 150×150. 0 (the default) keeps faces of `minimumFaceSize` in any photo, as a group photo
    /// needs.
    public var minimumFaceFraction: Double = 0
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
        lhs.minimumFaceSize == rhs.minimumFaceSize && lhs.minimumFaceFraction == rhs.minimumFaceFraction
            && lhs.scaleFactor == rhs.scaleFactor
            && lhs.minimumConfidence == rhs.minimumConfidence && lhs.maximumPyramidSide == rhs.maximumPyramidSide
            && lhs.thresholds == rhs.thresholds && lhs.nmsThresholds == rhs.nmsThresholds
    }

    /// The pyramid's scales for an image of `width` × `height` pixels: the first maps `minimumFaceSize` onto P-Net's
    /// 12-pixel window, the last still leaves 12 pixels. A `minimumFaceFraction` drops the first levels, those that
    /// only find faces smaller than that fraction of the shorter side, and keeps the others as they are, so that the
    /// faces above it are found exactly as without it.
    public func pyramidScales(width: Int, height: Int) -> [Double] {
        var scales: [Double] = []
        var scale = 12 / minimumFaceSize
        if let maximumPyramidSide {
            scale = min(scale, Double(maximumPyramidSide) / Double(max(width, height)))
        }
        let shorter = Double(min(width, height))
        // A level of scale s finds faces from 12 / s pixels; a margin of one step keeps the level whose smallest
        // faces straddle the minimum.
        let largestUseful = 12 / (minimumFaceFraction * shorter) / scaleFactor
        var side = shorter * scale
        while side >= 12 {
            if scale <= largestUseful { scales.append(scale) }
            scale *= scaleFactor
            side *= scaleFactor
        }
        return scales
    }
}
