import FaceMatrixCore
import FaceMatrixEvaluation
import Foundation

/// The file `make models` copies thresholds from (tools/calibration/<model>.json).
struct CalibrationFile: Encodable {
    let thresholds: MatchThresholds
    let notes: String

    init(_ report: AccuracyEvaluation.Report, model: String, folder: String) {
        thresholds = report.thresholds
        notes = """
            Calibrated by `facematrix evaluate` with FaceMatrix's own pipeline (MTCNN → 5-point alignment → \
            \(model)) on every photo of \(folder) (\(report.photos) photos of \(report.people) people): \
            verification = best-accuracy 1:1 threshold on the official pairs; impostor_tail = least-squares fit of \
            similarity = location + scale · ln(1/rate) to the rate at which pairs of different people (each pair of \
            people weighted alike) reach a similarity, for rates \(report.impostorTail.lowestRate) to \
            \(report.impostorTail.highestRate); the service's 1:N threshold for N enrolled people at target FAR F \
            is location + scale · ln(N / F). Checked on held-out folds; see the README.
            """
    }
}

/// The headline figures, printed to standard output.
struct EvaluationSummary: Encodable {
    let thresholds: MatchThresholds
    let verification: [String: Double]
    let originalProtocol: OriginalProtocol.Result
    let heldOut: [String: [String: Double]]
    let photosWithoutFace: Int

    init(_ report: AccuracyEvaluation.Report) {
        thresholds = report.thresholds
        verification = [
            "auc": report.verification.auc, "threshold": report.verification.atThreshold.threshold,
            "accuracy": report.verification.atThreshold.accuracy,
            "frr": report.verification.atThreshold.falseRejectRate,
            "far": report.verification.atThreshold.falseAcceptRate,
        ]
        originalProtocol = report.originalProtocol
        heldOut = Dictionary(
            report.rotatedFolds.filter { $0.testFold == "all" }.map {
                (
                    "gallery \($0.gallerySize)",
                    [
                        "threshold": $0.threshold, "far": $0.falseAcceptRate, "far_low": $0.falseAcceptInterval[0],
                        "far_high": $0.falseAcceptInterval[1], "frr": $0.falseRejectRate,
                    ]
                )
            },
            uniquingKeysWith: { first, _ in first }
        )
        photosWithoutFace = report.photosWithoutFace.count
    }

    enum CodingKeys: String, CodingKey {
        case thresholds, verification
        case originalProtocol = "original_protocol"
        case heldOut = "held_out"
        case photosWithoutFace = "photos_without_face"
    }
}
