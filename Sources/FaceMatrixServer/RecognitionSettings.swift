public import FaceMatrixConfiguration
public import FaceMatrixCore
import Foundation
public import Recognition

/// How recognition decides and enrols; unset values come from the model's calibrated thresholds.
public struct RecognitionSettings: Sendable {
    /// `FACEMATRIX_TARGET_FAR` (1e-6…0.5): the open-set false-accept rate the 1:N threshold holds at every gallery
    /// size; 0.01 by default.
    public var targetFalseAcceptRate = IdentificationPolicy.defaultTargetFalseAcceptRate
    /// Whether the environment set the target (a fixed threshold then makes it moot, which the log says).
    public var targetWasGiven = false
    /// `FACEMATRIX_MATCH_THRESHOLD` (0.01…1): a fixed 1:N threshold instead of the calibrated, size-dependent one.
    public var identificationThreshold: Double?
    /// `FACEMATRIX_MATCH_MARGIN` (0…1): overrides the calibrated margin (the lead the best user needs over the
    /// runner-up).
    public var identificationMargin: Double?
    /// `FACEMATRIX_ENROLLMENT_KEY_TTL` (seconds, 1…604,800): how long an unmatched face is kept for its owner to enrol;
    /// 15 minutes by default.
    public var enrollmentKeyLifetime = RecognitionService.Configuration.defaultEnrollmentKeyLifetime
    /// `FACEMATRIX_ALLOWED_THRESHOLDS` (`low,high`, each −1…1): the per-request thresholds a caller may ask for;
    /// 0.3…0.95 by default.
    public var allowedThresholds = RecognitionService.Configuration.defaultAllowedThresholds
    /// `FACEMATRIX_ENROLL_MIN_*` (confidence, face size and eye distance in pixels, sharpness, frontal score): what a
    /// face needs to be enrolled or offered an enrollment key.
    public var quality = QualityRequirements()
    /// `FACEMATRIX_MAX_QUEUE` (0…10,000): photos waiting for the pipeline beyond those being analysed, at most,
    /// whatever the wait.
    public var queueLimit = AdmissionLimiter.defaultQueueLimit
    /// `FACEMATRIX_MAX_WAIT_MS` (milliseconds, 0…600,000): the longest expected wait a photo is admitted with; beyond
    /// it, 503 with the expected wait as Retry-After. 1 s by default.
    public var waitBudget = AdmissionLimiter.defaultWaitBudget
    /// `FACEMATRIX_MAX_FACES` (1…100): faces of a group photo looked up at most (`all_faces=true`).
    public var maximumFacesPerPhoto = RecognitionService.Configuration.defaultMaximumFacesPerPhoto

    /// The defaults, without reading the environment.
    public init() {}

    /// Reads the recognition variables; one that is unset keeps its default.
    ///
    /// - Throws: `InvalidValue` naming the first variable that is not a number in its range, or
    ///   `FACEMATRIX_ALLOWED_THRESHOLDS` when its low end is above its high end.
    public init(environment: [String: String]) throws(AppConfiguration.InvalidValue) {
        let reader = EnvironmentReader(environment: environment)
        func optional(_ name: String, _ range: ClosedRange<Double>) throws(AppConfiguration.InvalidValue) -> Double? {
            // Unset and blank alike mean "not given", as for every other variable; a blank value once read as 0.
            reader.value(name) == nil ? nil : try reader.double(name, default: 0, in: range)
        }
        targetFalseAcceptRate = try reader.double(
            "FACEMATRIX_TARGET_FAR",
            default: IdentificationPolicy.defaultTargetFalseAcceptRate,
            in: IdentificationPolicy.targetFalseAcceptRates
        )
        targetWasGiven = !(environment["FACEMATRIX_TARGET_FAR"] ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        // A threshold at or below 0 would take every stranger for someone.
        identificationThreshold = try optional("FACEMATRIX_MATCH_THRESHOLD", 0.01...1)
        identificationMargin = try optional("FACEMATRIX_MATCH_MARGIN", 0...1)
        enrollmentKeyLifetime = .seconds(
            try reader.integer(
                "FACEMATRIX_ENROLLMENT_KEY_TTL",
                default: Int(enrollmentKeyLifetime.components.seconds),
                in: 1...604_800
            )
        )
        let range = try reader.doubles(
            "FACEMATRIX_ALLOWED_THRESHOLDS",
            default: [allowedThresholds.lowerBound, allowedThresholds.upperBound],
            count: 2,
            in: -1...1
        )
        guard range[0] <= range[1] else {
            throw .init(variable: "FACEMATRIX_ALLOWED_THRESHOLDS", reason: "must be 'low,high' with low <= high")
        }
        allowedThresholds = range[0]...range[1]
        // Defaults come from the type, so that the one place that states them is QualityRequirements.
        let standard = QualityRequirements()
        quality = QualityRequirements(
            minimumConfidence: try reader.double(
                "FACEMATRIX_ENROLL_MIN_CONFIDENCE",
                default: standard.minimumConfidence,
                in: 0...1
            ),
            minimumFaceSize: try reader.double(
                "FACEMATRIX_ENROLL_MIN_FACE_SIZE",
                default: standard.minimumFaceSize,
                in: 0...10_000
            ),
            minimumInterocularDistance: try reader.double(
                "FACEMATRIX_ENROLL_MIN_EYE_DISTANCE",
                default: standard.minimumInterocularDistance,
                in: 0...10_000
            ),
            minimumSharpness: try reader.double(
                "FACEMATRIX_ENROLL_MIN_SHARPNESS",
                default: standard.minimumSharpness,
                in: 0...1_000_000
            ),
            minimumFrontalScore: try reader.double(
                "FACEMATRIX_ENROLL_MIN_FRONTAL",
                default: standard.minimumFrontalScore,
                in: 0...1
            )
        )
        queueLimit = try reader.integer("FACEMATRIX_MAX_QUEUE", default: queueLimit, in: 0...10_000)
        waitBudget = .milliseconds(
            try reader.integer(
                "FACEMATRIX_MAX_WAIT_MS",
                default: Int(waitBudget / .milliseconds(1)),
                in: 0...600_000
            )
        )
        maximumFacesPerPhoto = try reader.integer(
            "FACEMATRIX_MAX_FACES",
            default: maximumFacesPerPhoto,
            in: 1...100
        )
    }

    /// The decision rule: the model's calibration, with any overrides applied. A model without a calibration
    /// (e.g. a converted FaceNet) needs `FACEMATRIX_MATCH_THRESHOLD`.
    ///
    /// - Throws: `InvalidValue` for `FACEMATRIX_MATCH_THRESHOLD` when the model has no calibration and no fixed
    ///   threshold is set.
    public func policy(calibrated: MatchThresholds?) throws(AppConfiguration.InvalidValue) -> IdentificationPolicy {
        guard calibrated != nil || identificationThreshold != nil else {
            throw AppConfiguration.InvalidValue(
                variable: "FACEMATRIX_MATCH_THRESHOLD",
                reason: "must be set: the model's manifest has no calibrated thresholds"
            )
        }
        return IdentificationPolicy(
            targetFalseAcceptRate: targetFalseAcceptRate,
            impostorTail: calibrated?.impostorTail,
            margin: identificationMargin ?? calibrated?.identificationMargin ?? 0,
            fixedThreshold: identificationThreshold
        )
    }

    /// The recognition service's configuration for a model with the `calibrated` thresholds (nil: uncalibrated); 1:1
    /// verification uses the calibrated verification threshold, else the fixed one.
    ///
    /// - Throws: as `policy(calibrated:)`.
    public func serviceConfiguration(calibrated: MatchThresholds?) throws -> RecognitionService.Configuration {
        RecognitionService.Configuration(
            policy: try policy(calibrated: calibrated),
            enrollmentKeyLifetime: enrollmentKeyLifetime,
            allowedThresholds: allowedThresholds,
            quality: quality,
            verificationThreshold: calibrated?.verification,
            maximumFacesPerPhoto: maximumFacesPerPhoto
        )
    }
}
