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
    /// Operating points, gallery sizes and the settings of the studies.
    public struct Options: Sendable {
        /// The open-set FAR the calibration and the held-out proof target, a fraction.
        public var targetFalseAcceptRate = IdentificationPolicy.defaultTargetFalseAcceptRate
        /// The margin the calibration recommends; the margin study shows why.
        public var margin = 0.0
        /// Gallery sizes of the held-out proof; 0 is everyone.
        public var gallerySizes = [10, 30, 100, 300, 600, 1000, 0]
        /// Random galleries drawn per gallery size in the held-out proof.
        public var draws = 10
        /// The enrolment gate of the original protocol and the quality-gate study.
        public var quality = QualityRequirements()
        /// Margins (similarity units) the margin study tries, each at every rate of `studiedFalseAcceptRates`.
        public var studiedMargins = [0.0, 0.03, 0.06, 0.1]
        /// Target FARs (fractions) the margin study tries.
        public var studiedFalseAcceptRates = [0.002, 0.005, 0.01, 0.02, 0.042, 0.08]

        /// The defaults above.
        public init() {}
    }

    /// Thrown by `run(progress:)` when the folder has too few people or photos for a measurement.
    public struct TooLittleData: Error, CustomStringConvertible {
        /// What is missing, for the operator.
        public let description: String
    }

    /// The labelled folder evaluated.
    public let dataset: LabeledDataset
    /// The embedded main faces, in path order.
    public let photos: [EmbeddedPhoto]
    /// What to measure, and at which operating points.
    public var options: Options

    /// Prepares an evaluation; nothing is computed until `run(progress:)`.
    ///
    /// - Parameters:
    ///   - dataset: The labelled folder the photos come from.
    ///   - photos: The main face of every photo that has one, from the service's own pipeline.
    ///   - options: What to measure.
    public init(dataset: LabeledDataset, photos: [EmbeddedPhoto], options: Options = Options()) {
        self.dataset = dataset
        self.photos = photos.sorted { $0.path < $1.path }
        self.options = options
    }

    /// Runs every measurement in turn.
    ///
    /// - Parameter progress: Called with a short phrase as each stage starts, and when the held-out proof is
    ///   skipped.
    /// - Returns: The full report.
    /// - Throws: `TooLittleData` when no impostor tail can be fitted (fewer than 29 people with a detected face,
    ///   or scores that do not fall off), or when nobody has two photos with a face.
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        progress("fitting the impostor tail")
        guard let fit = ImpostorTailFit.fit(ImpostorScores(photos)) else {
            throw TooLittleData(
                description: "\(photos.count) photos of \(Set(photos.map(\.identity)).count) people are too few to "
                    + "fit the impostor tail; at least 29 people with a detectable face are needed"
            )
        }
        progress("1:1 verification")
        let scores = verificationScores()
        guard !scores.genuine.isEmpty, !scores.impostor.isEmpty else {
            throw TooLittleData(
                description: "no two photos of the same person have a face: 1:1 verification needs some people "
                    + "with at least two photos"
            )
        }
        let verificationThreshold = scores.bestAccuracyThreshold()
        let thresholds = MatchThresholds(
            verification: verificationThreshold,
            impostorTail: fit.tail,
            identificationMargin: options.margin
        )
        let policy = IdentificationPolicy(
            targetFalseAcceptRate: options.targetFalseAcceptRate,
            impostorTail: fit.tail,
            margin: options.margin
        )

        progress("held-out folds")
        let rows = RotatedFolds(
            photos: photos,
            targetFalseAcceptRate: options.targetFalseAcceptRate,
            margin: options.margin,
            gallerySizes: options.gallerySizes,
            draws: options.draws
        ).run()
        if rows.isEmpty {
            progress(
                "held-out folds skipped: every calibration needs two or more folds with 29 people or more; "
                    + "this folder has folds \(dataset.folds)"
            )
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
                            targetFalseAcceptRate: rate,
                            impostorTail: fit.tail,
                            margin: margin
                        )
                    )
                )
            }
        }
        let embedded = Set(photos.map(\.path))
        return Report(
            dataset: dataset.root.path,
            photos: dataset.photos.count,
            people: identities.count,
            folds: dataset.folds,
            photosWithoutFace: dataset.photos.map(\.path).filter { !embedded.contains($0) },
            targetFalseAcceptRate: options.targetFalseAcceptRate,
            thresholds: thresholds,
            impostorTail: fit,
            verification: Report.Verification(
                source: usesOfficialPairs ? "pairs.csv" : "every pair of photos",
                auc: scores.areaUnderCurve,
                atThreshold: scores.rates(at: verificationThreshold),
                detectionErrorTradeoff: scores.detectionErrorTradeoff()
            ),
            rotatedFolds: rows,
            originalProtocol: original.evaluate(policy: policy),
            marginStudy: marginStudy,
            qualityGate: QualityGateStudy.run(photos, requirements: options.quality, policy: policy)
        )
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
