public import FaceMatrixCore
import Foundation

extension AccuracyEvaluation {
    /// Everything one evaluation measured, as written to the JSON report.
    public struct Report: Codable, Sendable {
        /// 1:1 verification figures.
        public struct Verification: Codable, Sendable {
            /// Which pairs were scored: "pairs.csv" (the official pairs) or "every pair of photos".
            public var source: String
            /// Area under the ROC curve, 0–1.
            public var auc: Double
            /// FAR, FRR and accuracy at `MatchThresholds.verification`, which was chosen on these same pairs.
            public var atThreshold: ErrorRates
            /// (FAR, FRR) pairs along the threshold, for a DET curve.
            public var detectionErrorTradeoff: [[Double]]

            enum CodingKeys: String, CodingKey {
                case source, auc
                case atThreshold = "at_threshold"
                case detectionErrorTradeoff = "det"
            }
        }

        /// The original protocol's figures under one margin and one target FAR.
        public struct MarginPoint: Codable, Sendable {
            /// The lead required over the runner-up, in similarity units.
            public var margin: Double
            /// The protocol's figures; the target FAR is among them.
            public var result: OriginalProtocol.Result
        }

        /// Path of the labelled folder.
        public var dataset: String
        /// Labelled photos, with or without a detected face.
        public var photos: Int
        /// Distinct identities among the labelled photos.
        public var people: Int
        /// The folds present, ascending.
        public var folds: [Int]
        /// Labelled photos with no embedded face, as paths from `labels.csv`.
        public var photosWithoutFace: [String]
        /// The open-set FAR targeted, a fraction.
        public var targetFalseAcceptRate: Double
        /// The recommended thresholds, for the model's manifest.
        public var thresholds: MatchThresholds
        /// The impostor tail fitted on every photo, with its points and residuals.
        public var impostorTail: ImpostorTailFit
        /// 1:1 verification figures.
        public var verification: Verification
        /// The held-out proof: one row per held-out fold and gallery size, then the pooled rows; empty when skipped.
        public var rotatedFolds: [RotatedFolds.Row]
        /// The original system's protocol at the target FAR and the configured margin.
        public var originalProtocol: OriginalProtocol.Result
        /// The original protocol at every studied margin and target FAR.
        public var marginStudy: [MarginPoint]
        /// What each enrolment quality criterion costs and buys.
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
}
