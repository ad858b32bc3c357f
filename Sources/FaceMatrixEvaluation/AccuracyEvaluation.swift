public import FaceMatrixCore
import Foundation

/// Everything `facematrix evaluate` measures on a labelled folder, with the same decision code
/// (`IdentificationPolicy`) the service runs:
///
/// - the calibration: the impostor tail fitted on every photo (see `ImpostorTailFit`), the 1:1 threshold with the
///   best accuracy, and the margin;
/// - 1:1 verification: ROC area and DET points on the official pairs, or on every pair when there are none;
/// - the held-out proof: `RotatedFolds` at several gallery sizes;
/// - the original system's FRR/FAR protocol (`OriginalProtocol`), and how a margin moves it;
/// - what each enrolment quality criterion costs and buys (`QualityGateStudy`).
public struct AccuracyEvaluation: Sendable {
    public struct Options: Sendable {
        public var targetFalseAcceptRate = IdentificationPolicy.defaultTargetFalseAcceptRate
        /// The margin the calibration recommends; the margin study shows why.
        public var margin = 0.0
        /// Gallery sizes of the held-out proof; 0 is everyone.
        public var gallerySizes = [10, 30, 100, 300, 600, 1000, 0]
        public var draws = 10
        public var quality = QualityRequirements()
        public var studiedMargins = [0.0, 0.03, 0.06, 0.1]
        public var studiedFalseAcceptRates = [0.002, 0.005, 0.01, 0.02, 0.042, 0.08]

        public init() {}
    }

    public struct Report: Codable, Sendable {
        public struct Verification: Codable, Sendable {
            public var source: String
            public var auc: Double
            public var atThreshold: ErrorRates
            /// (FAR, FRR) pairs along the threshold, for a DET curve.
            public var detectionErrorTradeoff: [[Double]]

            enum CodingKeys: String, CodingKey {
                case source, auc
                case atThreshold = "at_threshold"
                case detectionErrorTradeoff = "det"
            }
        }

        public struct MarginPoint: Codable, Sendable {
            public var margin: Double
            public var result: OriginalProtocol.Result
        }

        public var dataset: String
        public var photos: Int
        public var people: Int
        public var folds: [Int]
        public var photosWithoutFace: [String]
        public var targetFalseAcceptRate: Double
        public var thresholds: MatchThresholds
        public var impostorTail: ImpostorTailFit
        public var verification: Verification
        public var rotatedFolds: [RotatedFolds.Row]
        public var originalProtocol: OriginalProtocol.Result
        public var marginStudy: [MarginPoint]
        public var qualityGate: [QualityGateStudy.Criterion]

        enum CodingKeys: String, CodingKey {
            case dataset, photos, people, folds
            case photosWithoutFace = "photos_without_face"
            case targetFalseAcceptRate = "target_far"
            case thresholds
            case impostorTail = "impostor_tail"
            case verification
            case rotatedFolds = "rotated_folds"
            case originalProtocol = "original_protocol"
            case marginStudy = "margin_study"
            case qualityGate = "quality_gate"
        }
    }

    public struct TooLittleData: Error, CustomStringConvertible {
        public let description: String
    }

    public let dataset: LabelledDataset
    public let photos: [EmbeddedPhoto]
    public var options: Options

    /// - Parameter photos: the main face of every photo that has one.
    public init(dataset: LabelledDataset, photos: [EmbeddedPhoto], options: Options = Options()) {
        self.dataset = dataset
        self.photos = photos.sorted { $0.path < $1.path }
        self.options = options
    }

    /// - Throws: `TooLittleData` when the folder has too few people or photos for an impostor tail.
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        progress("fitting the impostor tail")
        guard let fit = ImpostorTailFit.fit(ImpostorScores(photos)) else {
            throw TooLittleData(
                description: "\(photos.count) photos of \(Set(photos.map(\.identity)).count) people are too few to "
                    + "fit the impostor tail; at least 29 people with a detectable face are needed")
        }
        progress("1:1 verification")
        let scores = verificationScores()
        guard !scores.genuine.isEmpty, !scores.impostor.isEmpty else {
            throw TooLittleData(
                description: "no two photos of the same person have a face: 1:1 verification needs some people "
                    + "with at least two photos")
        }
        let verificationThreshold = scores.bestAccuracyThreshold()
        let thresholds = MatchThresholds(
            verification: verificationThreshold, impostorTail: fit.tail, identificationMargin: options.margin)
        let policy = IdentificationPolicy(
            targetFalseAcceptRate: options.targetFalseAcceptRate, impostorTail: fit.tail, margin: options.margin)

        progress("held-out folds")
        let rows = RotatedFolds(
            photos: photos, targetFalseAcceptRate: options.targetFalseAcceptRate, margin: options.margin,
            gallerySizes: options.gallerySizes, draws: options.draws
        ).run()
        if rows.isEmpty {
            progress(
                "held-out folds skipped: every calibration needs two or more folds with 29 people or more; "
                    + "this folder has folds \(dataset.folds)")
        }

        progress("original protocol, margins and quality gate")
        let identities = dataset.identities
        let original = OriginalProtocol(photos, identities: identities, quality: options.quality)
        let marginStudy = options.studiedMargins.flatMap { margin in
            options.studiedFalseAcceptRates.map { rate in
                Report.MarginPoint(
                    margin: margin,
                    result: original.evaluate(
                        policy: IdentificationPolicy(
                            targetFalseAcceptRate: rate, impostorTail: fit.tail, margin: margin)))
            }
        }
        let embedded = Set(photos.map(\.path))
        return Report(
            dataset: dataset.root.path, photos: dataset.photos.count, people: identities.count,
            folds: dataset.folds, photosWithoutFace: dataset.photos.map(\.path).filter { !embedded.contains($0) },
            targetFalseAcceptRate: options.targetFalseAcceptRate, thresholds: thresholds, impostorTail: fit,
            verification: Report.Verification(
                source: usesOfficialPairs ? "pairs.csv" : "every pair of photos", auc: scores.areaUnderCurve,
                atThreshold: scores.rates(at: verificationThreshold),
                detectionErrorTradeoff: scores.detectionErrorTradeoff()),
            rotatedFolds: rows,
            originalProtocol: original.evaluate(policy: policy),
            marginStudy: marginStudy,
            qualityGate: QualityGateStudy.run(photos, requirements: options.quality, policy: policy))
    }

    /// The 1:1 figures come from the official pairs when they have both kinds, otherwise from every pair.
    var usesOfficialPairs: Bool { Set(dataset.pairs.map(\.samePerson)).count == 2 }

    /// The official pairs when the folder has both kinds (a photo without a face scores −1: a rejection either
    /// way); otherwise every same-person pair and every different-person pair.
    func verificationScores() -> VerificationScores {
        let byPath = Dictionary(photos.map { ($0.path, $0.embedding) }, uniquingKeysWith: { first, _ in first })
        var genuine: [Double] = []
        var impostor: [Double] = []
        if !usesOfficialPairs {
            for (index, photo) in photos.enumerated() {
                for other in photos[(index + 1)...] {
                    let score = photo.embedding.fastSimilarity(to: other.embedding)
                    if photo.identity == other.identity { genuine.append(score) } else { impostor.append(score) }
                }
            }
        } else {
            for pair in dataset.pairs {
                var score = -1.0
                if let first = byPath[pair.first], let second = byPath[pair.second] {
                    score = first.fastSimilarity(to: second)
                }
                if pair.samePerson { genuine.append(score) } else { impostor.append(score) }
            }
        }
        return VerificationScores(genuine: genuine, impostor: impostor)
    }
}
