/// A box under consideration by MTCNN, in working-image pixels, with the regression offsets the last network
/// proposed for it.
struct FaceCandidate {
    var x1: Float
    var y1: Float
    var x2: Float
    var y2: Float
    var score: Float
    var regression: (Float, Float, Float, Float) = (0, 0, 0, 0)
    var landmarks: [Float] = []

    var width: Float { x2 - x1 }
    var height: Float { y2 - y1 }

    /// Moves the box by the network's regression offsets, given as fractions of the box size.
    /// `inclusive` adds the one pixel that R-Net and O-Net count in a box's size (P-Net does not).
    func refined(inclusive: Bool) -> FaceCandidate {
        let extra: Float = inclusive ? 1 : 0
        let w = width + extra
        let h = height + extra
        var refined = self
        refined.x1 = x1 + regression.0 * w
        refined.y1 = y1 + regression.1 * h
        refined.x2 = x2 + regression.2 * w
        refined.y2 = y2 + regression.3 * h
        return refined
    }

    /// The smallest square with the same centre that covers the box, so the next network sees the whole face.
    func squared() -> FaceCandidate {
        let side = max(width, height)
        var square = self
        square.x1 = x1 + width * 0.5 - side * 0.5
        square.y1 = y1 + height * 0.5 - side * 0.5
        square.x2 = square.x1 + side
        square.y2 = square.y1 + side
        return square
    }
}

/// How non-maximum suppression measures the overlap of two boxes.
enum OverlapMeasure {
    /// Intersection over union.
    case union
    /// Intersection over the smaller box: a small box inside a larger one counts as a duplicate.
    case minimum
}

/// Greedy non-maximum suppression: keeps the best-scoring box, drops every box that overlaps it by more than
/// `threshold`, and repeats. Returns the kept candidates, best first.
func nonMaximumSuppression(_ candidates: [FaceCandidate], threshold: Float, measure: OverlapMeasure) -> [FaceCandidate]
{
    guard candidates.count > 1 else { return candidates }
    let sorted = candidates.sorted { $0.score > $1.score }
    // The union pass counts box sizes as x2 − x1; the minimum pass, as x2 − x1 + 1 (pixels inclusive).
    let extra: Float = measure == .minimum ? 1 : 0
    let areas = sorted.map { ($0.width + extra) * ($0.height + extra) }
    var suppressed = [Bool](repeating: false, count: sorted.count)
    var kept: [FaceCandidate] = []
    for i in sorted.indices where !suppressed[i] {
        kept.append(sorted[i])
        let a = sorted[i]
        for j in (i + 1)..<sorted.count where !suppressed[j] {
            let b = sorted[j]
            let overlapWidth = max(0, min(a.x2, b.x2) - max(a.x1, b.x1) + extra)
            let overlapHeight = max(0, min(a.y2, b.y2) - max(a.y1, b.y1) + extra)
            let overlap = overlapWidth * overlapHeight
            let denominator =
                switch measure {
                case .union: areas[i] + areas[j] - overlap
                case .minimum: min(areas[i], areas[j])
                }
            if denominator > 0, overlap / denominator > threshold { suppressed[j] = true }
        }
    }
    return kept
}
