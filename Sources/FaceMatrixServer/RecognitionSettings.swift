public import FaceMatrixConfiguration
public import FaceMatrixCore
import Foundation
public import Recognition

/// How recognition decides and enrols; unset values come from the model's calibrated thresholds.
public struct RecognitionSettings: Sendable {
    /// The open-set false-accept rate the 1:N threshold holds at every gallery size.
    public var targetFalseAcceptRate = IdentificationPolicy.defaultTargetFalseAcceptRate
    /// Whether the environment set the target (a fixed threshold then makes it moot, which the log says).
    public var targetWasGiven = false
    /// A fixed 1:N threshold instead of the calibrated, size-dependent one.
    public var identificationThreshold: Double?
    /// Overrides the calibrated margin (the lead the best user needs over the runner-up).
    public var identificationMargin: Double?
    public var enrollmentKeyLifetime = RecognitionService.Configuration.defaultEnrollmentKeyLifetime
    public var allowedThresholds = RecognitionService.Configuration.defaultAllowedThresholds
    public var quality = QualityRequirements()
    /// Photos waiting for the pipeline beyond those being analysed, at most, whatever the wait.
    public var queueLimit = AdmissionLimiter.defaultQueueLimit
    /// The longest expected wait a photo is admitted with; beyond it, 503 with the expected wait as Retry-After.
    public var waitBudget = AdmissionLimiter.defaultWaitBudget
    /// Faces of a group photo looked up at most (`all_faces=true`).
    public var maximumFacesPerPhoto = RecognitionService.Configuration.defaultMaximumFacesPerPhoto

    public init() {}

    public init(environment: [String: String]) throws(AppConfiguration.InvalidValue) {
        let reader = EnvironmentReader(environment: environment)
        func optional(_ name: String, _ range: ClosedRange<Double>) throws(AppConfiguration.InvalidValue) -> Double? {
            environment[name] == nil ? nil : try reader.double(name, default: 0, in: range)
        }
        targetFalseAcceptRate = try reader.double(
            "FACEMATRIX_TARGET_FAR", default: IdentificationPolicy.defaultTargetFalseAcceptRate,
            in: IdentificationPolicy.targetFalseAcceptRates)
        targetWasGiven = !(environment["FACEMATRIX_TARGET_FAR"] ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        // A threshold at or below 0 would take every stranger for someone.
        identificationThreshold = try optional("FACEMATRIX_MATCH_THRESHOLD", 0.01...1)
        identificationMargin = try optional("FACEMATRIX_MATCH_MARGIN", 0...1)
        enrollmentKeyLifetime = .seconds(
            try reader.integer(
                "FACEMATRIX_ENROLLMENT_KEY_TTL", default: Int(enrollmentKeyLifetime.components.seconds),
                in: 1...604_800))
        let range = try reader.doubles(
            "FACEMATRIX_ALLOWED_THRESHOLDS", default: [allowedThresholds.lowerBound, allowedThresholds.upperBound],
            count: 2, in: -1...1)
        guard range[0] <= range[1] else {
            throw .init(variable: "FACEMATRIX_ALLOWED_THRESHOLDS", reason: "must be 'low,high' with low <= high")
        }
        allowedThresholds = range[0]...range[1]
        // Defaults come from the type, so that the one place that states them is QualityRequirements.
        let standard = QualityRequirements()
        quality = QualityRequirements(
            minimumConfidence: try reader.double(
                "FACEMATRIX_ENROLL_MIN_CONFIDENCE", default: standard.minimumConfidence, in: 0...1),
            minimumFaceSize: try reader.double(
                "FACEMATRIX_ENROLL_MIN_FACE_SIZE", default: standard.minimumFaceSize, in: 0...10_000),
            minimumInterocularDistance: try reader.double(
                "FACEMATRIX_ENROLL_MIN_EYE_DISTANCE", default: standard.minimumInterocularDistance, in: 0...10_000),
            minimumSharpness: try reader.double(
                "FACEMATRIX_ENROLL_MIN_SHARPNESS", default: standard.minimumSharpness, in: 0...1_000_000),
            minimumFrontalScore: try reader.double(
                "FACEMATRIX_ENROLL_MIN_FRONTAL", default: standard.minimumFrontalScore, in: 0...1))
        queueLimit = try reader.integer("FACEMATRIX_MAX_QUEUE", default: queueLimit, in: 0...10_000)
        waitBudget = .milliseconds(
            try reader.integer(
                "FACEMATRIX_MAX_WAIT_MS", default: Int(waitBudget / .milliseconds(1)), in: 0...600_000))
        maximumFacesPerPhoto = try reader.integer(
            "FACEMATRIX_MAX_FACES", default: maximumFacesPerPhoto, in: 1...100)
    }

    /// The decision rule: the model's calibration, with any overrides applied. A model without a calibration
    /// (e.g. a converted FaceNet) needs `FACEMATRIX_MATCH_THRESHOLD`.
    public func policy(calibrated: MatchThresholds?) throws(AppConfiguration.InvalidValue) -> IdentificationPolicy {
        guard calibrated != nil || identificationThreshold != nil else {
            throw AppConfiguration.InvalidValue(
                variable: "FACEMATRIX_MATCH_THRESHOLD",
                reason: "must be set: the model's manifest has no calibrated thresholds")
        }
        return IdentificationPolicy(
            targetFalseAcceptRate: targetFalseAcceptRate, impostorTail: calibrated?.impostorTail,
            margin: identificationMargin ?? calibrated?.identificationMargin ?? 0,
            fixedThreshold: identificationThreshold)
    }

    public func serviceConfiguration(calibrated: MatchThresholds?) throws -> RecognitionService.Configuration {
        RecognitionService.Configuration(
            policy: try policy(calibrated: calibrated), enrollmentKeyLifetime: enrollmentKeyLifetime,
            allowedThresholds: allowedThresholds, quality: quality,
            verificationThreshold: calibrated?.verification, maximumFacesPerPhoto: maximumFacesPerPhoto)
    }
}
