public import FaceMatrixCore
import Foundation

/// Calibrates the decision thresholds of an embedder on the shared LFW folds and checks them, with the same
/// decision code (`IdentificationPolicy`) the service runs.
///
/// - 1:1 verification: the best-accuracy threshold on the calibration fold's official pairs.
/// - 1:N identification: on the calibration fold's gallery, the threshold and margin with the lowest false-reject
///   rate at the target false-accept rate; then how that threshold must rise with the gallery size, fitted on
///   random sub-galleries of the same fold. The other folds are only used to check the result.
public struct LFWCalibration: Sendable {
    public struct Report: Codable, Sendable {
        public struct FoldVerification: Codable, Sendable {
            public var folds: String
            public var auc: Double
            public var atCalibratedThreshold: ErrorRates
            public var bestAccuracy: ErrorRates

            enum CodingKeys: String, CodingKey {
                case folds, auc
                case atCalibratedThreshold = "at_calibrated_threshold"
                case bestAccuracy = "best_accuracy"
            }
        }

        public struct GalleryCheck: Codable, Sendable {
            public var galleryFolds: String
            public var queryFolds: String
            public var sizeAdaptive: OpenSetEvaluation.Result
            public var fixedThreshold: OpenSetEvaluation.Result

            enum CodingKeys: String, CodingKey {
                case galleryFolds = "gallery_folds"
                case queryFolds = "query_folds"
                case sizeAdaptive = "size_adaptive"
                case fixedThreshold = "fixed_threshold"
            }
        }

        public struct TailPoint: Codable, Sendable {
            public var size: Int
            public var threshold: Double
        }

        public var calibrationFold: Int
        public var targetFalseAcceptRate: Double
        public var photos: Int
        public var photosWithoutFace: [String]
        public var thresholds: MatchThresholds
        public var verification: [FoldVerification]
        public var marginSearch: [OpenSetEvaluation.Result]
        public var impostorTail: [TailPoint]
        public var galleries: [GalleryCheck]

        enum CodingKeys: String, CodingKey {
            case calibrationFold = "calibration_fold"
            case targetFalseAcceptRate = "target_far"
            case photos
            case photosWithoutFace = "photos_without_face"
            case thresholds, verification
            case marginSearch = "margin_search"
            case impostorTail = "impostor_tail"
            case galleries
        }
    }

    public let dataset: LFWDataset
    /// Embedding of the main face of each photo, by path; photos without a face are absent.
    public let embeddings: [String: Embedding]
    public var calibrationFold = 8
    public var targetFalseAcceptRate = 0.02
    public var margins: [Double] = stride(from: 0.0, through: 0.15, by: 0.01).map { $0 }

    public init(dataset: LFWDataset, embeddings: [String: Embedding]) {
        self.dataset = dataset
        self.embeddings = embeddings
    }

    public func run() -> Report {
        // 1:1 verification.
        let calibrationScores = verificationScores(folds: [calibrationFold])
        let verificationThreshold = calibrationScores.bestAccuracyThreshold()
        let foldSets = dataset.folds.map { [$0] } + [dataset.folds]
        let verification = foldSets.map { folds in
            let scores = verificationScores(folds: Set(folds))
            return Report.FoldVerification(
                folds: folds.map(String.init).joined(separator: "+"), auc: scores.areaUnderCurve,
                atCalibratedThreshold: scores.rates(at: verificationThreshold),
                bestAccuracy: scores.rates(at: scores.bestAccuracyThreshold()))
        }

        // 1:N on the calibration fold: threshold and margin.
        let calibration = openSet(galleryFolds: [calibrationFold], queryFolds: [calibrationFold])
        let marginSearch = margins.map { margin in
            let threshold = calibration.threshold(forFalseAcceptRate: targetFalseAcceptRate, margin: margin)
            return calibration.evaluate(fixedPolicy(threshold: threshold, margin: margin))
        }
        let chosen = marginSearch.min { ($0.falseRejectRate, $0.margin) < ($1.falseRejectRate, $1.margin) }!

        // Growth with gallery size. A query is falsely accepted when the best of its N impostor similarities
        // passes, so at a fixed false-accept rate the per-comparison exceedance rate r(t) must fall tenfold for a
        // tenfold larger gallery. In the tail, t grows linearly with log10(1/r); its slope, fitted on every
        // impostor pair of the calibration fold for r between 1e-5 and 1e-3, is how much the threshold must rise
        // per decade of gallery size.
        let tail = impostorTail(folds: [calibrationFold])
        let slope = tailSlope(tail)

        let thresholds = MatchThresholds(
            verification: verificationThreshold, identification: chosen.threshold,
            identificationMargin: chosen.margin, referenceGallerySize: calibration.gallerySize,
            identificationSlopePerDecade: slope)
        let policy = IdentificationPolicy(thresholds)
        // The check: each fold alone; the calibration fold's queries against all three folds' people (the same
        // queries, a gallery three times larger); everything against everything.
        let all = Set(dataset.folds)
        let checks: [(Set<Int>, Set<Int>)] =
            dataset.folds.map { (Set([$0]), Set([$0])) } + [(all, Set([calibrationFold])), (all, all)]
        let galleries = checks.map { galleryFolds, queryFolds in
            let evaluation = openSet(galleryFolds: galleryFolds, queryFolds: queryFolds)
            return Report.GalleryCheck(
                galleryFolds: galleryFolds.sorted().map(String.init).joined(separator: "+"),
                queryFolds: queryFolds.sorted().map(String.init).joined(separator: "+"),
                sizeAdaptive: evaluation.evaluate(policy),
                fixedThreshold: evaluation.evaluate(fixedPolicy(threshold: chosen.threshold, margin: chosen.margin)))
        }
        return Report(
            calibrationFold: calibrationFold, targetFalseAcceptRate: targetFalseAcceptRate,
            photos: dataset.photos.count,
            photosWithoutFace: dataset.photos.map(\.path).filter { embeddings[$0] == nil },
            thresholds: thresholds, verification: verification, marginSearch: marginSearch,
            impostorTail: tail, galleries: galleries)
    }

    func fixedPolicy(threshold: Double, margin: Double) -> IdentificationPolicy {
        IdentificationPolicy(
            threshold: threshold, margin: margin, referenceGallerySize: 1, slopePerDecade: 0, minimumThreshold: -1)
    }

    func verificationScores(folds: Set<Int>) -> VerificationScores {
        var genuine: [Double] = []
        var impostor: [Double] = []
        for pair in dataset.pairs where folds.contains(pair.fold) {
            // A photo without a detected face cannot be verified: a rejection either way.
            let score: Double
            if let a = embeddings[pair.first], let b = embeddings[pair.second] {
                score = a.similarity(to: b)
            } else {
                score = -1
            }
            if pair.samePerson { genuine.append(score) } else { impostor.append(score) }
        }
        return VerificationScores(genuine: genuine, impostor: impostor)
    }

    /// Enrols the first photo (with a face) of every person in `galleryFolds` (only those in `enrolling`, when
    /// given) and queries every other photo of the people in `queryFolds`.
    func openSet(galleryFolds: Set<Int>, queryFolds: Set<Int>, enrolling: Set<String>? = nil) -> OpenSetEvaluation {
        var gallery: [(identity: String, embedding: Embedding)] = []
        var probes: [(identity: String, embedding: Embedding)] = []
        var seen: Set<String> = []
        for photo in dataset.photos.sorted(by: { $0.path < $1.path }) {
            guard galleryFolds.contains(photo.fold) || queryFolds.contains(photo.fold),
                let embedding = embeddings[photo.path]
            else { continue }
            if seen.insert(photo.identity).inserted {
                if galleryFolds.contains(photo.fold) && (enrolling?.contains(photo.identity) ?? true) {
                    gallery.append((photo.identity, embedding))
                }
            } else if queryFolds.contains(photo.fold) {
                probes.append((photo.identity, embedding))
            }
        }
        return OpenSetEvaluation(gallery: gallery, probes: probes)
    }

    /// Points of the impostor tail: for per-comparison exceedance rates r from 1e-5 to 1e-3, the similarity
    /// exceeded by that fraction of all impostor pairs (a query against every enrolled person but its own).
    /// `size` is 1/r, the gallery size at which one query meets one such impostor on average.
    func impostorTail(folds: Set<Int>) -> [Report.TailPoint] {
        var gallery: [(String, Embedding)] = []
        var probes: [(String, Embedding)] = []
        var seen: Set<String> = []
        for photo in dataset.photos.sorted(by: { $0.path < $1.path }) where folds.contains(photo.fold) {
            guard let embedding = embeddings[photo.path] else { continue }
            if seen.insert(photo.identity).inserted {
                gallery.append((photo.identity, embedding))
            } else {
                probes.append((photo.identity, embedding))
            }
        }
        var scores: [Double] = []
        scores.reserveCapacity(probes.count * gallery.count)
        for (identity, embedding) in probes {
            for (other, enrolled) in gallery where other != identity {
                scores.append(embedding.similarity(to: enrolled))
            }
        }
        scores.sort(by: >)
        return stride(from: -5.0, through: -3.0, by: 0.25).map { exponent in
            let rate = pow(10, exponent)
            let rank = min(scores.count - 1, max(0, Int(rate * Double(scores.count))))
            return Report.TailPoint(size: Int((1 / rate).rounded()), threshold: scores[rank])
        }
    }

    /// Least-squares slope of threshold against log10(gallery size).
    func tailSlope(_ points: [Report.TailPoint]) -> Double {
        let xs = points.map { log10(Double($0.size)) }
        let ys = points.map(\.threshold)
        let meanX = xs.reduce(0, +) / Double(xs.count)
        let meanY = ys.reduce(0, +) / Double(ys.count)
        let covariance = zip(xs, ys).reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) }
        let variance = xs.reduce(0) { $0 + ($1 - meanX) * ($1 - meanX) }
        return variance > 0 ? covariance / variance : 0
    }
}
