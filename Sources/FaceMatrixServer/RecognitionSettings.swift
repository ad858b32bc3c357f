public import FaceMatrixCore
public import Recognition

/// How recognition decides and enrols; unset values come from the model's calibrated thresholds.
public struct RecognitionSettings: Sendable {
    /// Overrides the calibrated 1:N threshold (at the calibration's reference gallery size).
    public var identificationThreshold: Double?
    public var identificationMargin: Double?
    /// Overrides how much the threshold rises per tenfold gallery growth (0 keeps it fixed).
    public var thresholdSlopePerDecade: Double?
    public var enrollmentKeyLifetime: Duration = .seconds(900)
    public var allowedThresholds: ClosedRange<Double> = 0.3...0.95
    public var quality = QualityRequirements()
    /// Photos waiting for the pipeline beyond those being analysed; more get 503 at once.
    public var queueLimit = 16

    public init() {}

    public init(environment: [String: String]) throws(AppConfiguration.InvalidValue) {
        let reader = EnvironmentReader(environment: environment)
        func optional(_ name: String, _ range: ClosedRange<Double>) throws(AppConfiguration.InvalidValue) -> Double? {
            environment[name] == nil ? nil : try reader.double(name, default: 0, in: range)
        }
        identificationThreshold = try optional("FACEMATRIX_MATCH_THRESHOLD", -1...1)
        identificationMargin = try optional("FACEMATRIX_MATCH_MARGIN", 0...1)
        thresholdSlopePerDecade = try optional("FACEMATRIX_MATCH_THRESHOLD_SLOPE", 0...1)
        enrollmentKeyLifetime = .seconds(
            try reader.integer("FACEMATRIX_ENROLLMENT_KEY_TTL", default: 900, in: 1...604_800))
        let range = try reader.doubles("FACEMATRIX_ALLOWED_THRESHOLDS", default: [0.3, 0.95], count: 2, in: -1...1)
        guard range[0] <= range[1] else {
            throw .init(variable: "FACEMATRIX_ALLOWED_THRESHOLDS", reason: "must be 'low,high' with low <= high")
        }
        allowedThresholds = range[0]...range[1]
        quality = QualityRequirements(
            minimumConfidence: try reader.double("FACEMATRIX_ENROLL_MIN_CONFIDENCE", default: 0.9, in: 0...1),
            minimumFaceSize: try reader.double("FACEMATRIX_ENROLL_MIN_FACE_SIZE", default: 40, in: 0...10_000),
            minimumInterocularDistance: try reader.double(
                "FACEMATRIX_ENROLL_MIN_EYE_DISTANCE", default: 16, in: 0...10_000),
            minimumSharpness: try reader.double("FACEMATRIX_ENROLL_MIN_SHARPNESS", default: 10, in: 0...1_000_000),
            minimumFrontalScore: try reader.double("FACEMATRIX_ENROLL_MIN_FRONTAL", default: 0.3, in: 0...1))
        queueLimit = try reader.integer("FACEMATRIX_MAX_QUEUE", default: 16, in: 0...10_000)
    }

    /// The decision rule: the model's calibration, with any overrides applied.
    public func policy(calibrated: MatchThresholds?) throws -> IdentificationPolicy {
        guard let calibrated else {
            throw AppConfiguration.InvalidValue(
                variable: "FACEMATRIX_MATCH_THRESHOLD",
                reason: "must be set: the model's manifest has no calibrated thresholds")
        }
        var policy = IdentificationPolicy(calibrated)
        if let identificationThreshold { policy.threshold = identificationThreshold }
        if let identificationMargin { policy.margin = identificationMargin }
        if let thresholdSlopePerDecade { policy.slopePerDecade = thresholdSlopePerDecade }
        return policy
    }

    public func serviceConfiguration(calibrated: MatchThresholds?) throws -> RecognitionService.Configuration {
        RecognitionService.Configuration(
            policy: try policy(calibrated: calibrated), enrollmentKeyLifetime: enrollmentKeyLifetime,
            allowedThresholds: allowedThresholds, quality: quality)
    }
}
