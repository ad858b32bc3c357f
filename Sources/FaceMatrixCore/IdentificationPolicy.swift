import Foundation

/// The best-scoring enrolled face of one user, for one query.
public struct Candidate: Sendable, Equatable {
    /// The enrolled user's id.
    public var userID: String
    /// Cosine similarity, −1…1.
    public var similarity: Double

    /// Creates a candidate from a user id and a cosine similarity in [-1, 1].
    public init(userID: String, similarity: Double) {
        self.userID = userID
        self.similarity = similarity
    }
}

/// What a recognition query concluded.
public enum IdentificationDecision: Sendable, Equatable {
    /// The face is this user's: they reached the threshold and, when one is set, led by the margin.
    case match(Candidate)
    /// Nobody passed; `best` is the closest user, if anyone is enrolled.
    case noMatch(best: Candidate?)
}

/// How often a stranger's face reaches a similarity with one enrolled face: the upper tail of the impostor
/// score distribution, r(t) = exp(−(t − location) / scale), the exponential (Gumbel-domain) tail of extreme-value
/// theory.
///
/// Fitted by `facematrix evaluate` on every different-person photo pair of the calibration folds, over the
/// exceedance rates the data can measure; see the README's *Decisions* for the fit and its residuals.
public struct ImpostorTail: Codable, Sendable, Equatable {
    /// The similarity exceeded by every impostor comparison, on the fitted line (r = 1).
    public var location: Double
    /// How much the similarity rises for every e-fold fall of the exceedance rate.
    public var scale: Double

    /// Creates a tail from fitted parameters, both in similarity units (`scale` > 0).
    public init(location: Double, scale: Double) {
        self.location = location
        self.scale = scale
    }

    /// The similarity that a fraction `rate` (0 < rate ≤ 1) of impostor comparisons reaches; rates outside that
    /// range are clamped into it.
    public func similarity(exceededAtRate rate: Double) -> Double {
        location + scale * log(1 / min(max(rate, .leastNormalMagnitude), 1))
    }

    /// The fraction of impostor comparisons that reach `similarity`, 0…1.
    public func exceedanceRate(at similarity: Double) -> Double {
        guard scale > 0 else { return similarity <= location ? 1 : 0 }
        return min(1, exp(-(similarity - location) / scale))
    }
}

/// The open-set rule: who, if anyone, a face belongs to among the enrolled users.
///
/// A stranger is accepted when any of the N enrolled faces reaches the threshold, so the open-set false-accept
/// rate is at most N · r(t) (the union bound, with no assumption of independence). The threshold is therefore set
/// where the impostor tail's exceedance rate is `targetFalseAcceptRate / N`: FAR stays at or just under the
/// target as people enrol, and FRR is as low as that allows. A margin, when set, also requires the best user to
/// lead the runner-up; it can only lower FAR further.
public struct IdentificationPolicy: Sendable, Equatable {
    /// The open-set false-accept rate to hold: the share of strangers given someone's identity, 0 < FAR < 1.
    public var targetFalseAcceptRate: Double
    /// The calibrated impostor tail; nil only when `fixedThreshold` is set (an uncalibrated model).
    public var impostorTail: ImpostorTail?
    /// The lead the best user needs over the runner-up (similarity units); 0 turns it off.
    public var margin: Double
    /// An operator's explicit threshold (`FACEMATRIX_MATCH_THRESHOLD`): used at every gallery size.
    public var fixedThreshold: Double?

    /// The default operating point: 1 stranger in 100 taken for someone.
    public static let defaultTargetFalseAcceptRate = 0.01
    /// The allowed target rates; above 0.5 the union bound says nothing.
    public static let targetFalseAcceptRates: ClosedRange<Double> = 1e-6...0.5

    /// - Parameters:
    ///   - targetFalseAcceptRate: The open-set FAR to hold, a fraction within `targetFalseAcceptRates`.
    ///   - impostorTail: The calibrated tail; without it and without `fixedThreshold` every threshold is 1.
    ///   - margin: The lead the best user needs over the runner-up, in similarity units; 0 turns it off.
    ///   - fixedThreshold: A threshold to use at every gallery size instead of the tail's.
    public init(
        targetFalseAcceptRate: Double = Self.defaultTargetFalseAcceptRate,
        impostorTail: ImpostorTail?,
        margin: Double = 0,
        fixedThreshold: Double? = nil
    ) {
        self.targetFalseAcceptRate = targetFalseAcceptRate
        self.impostorTail = impostorTail
        self.margin = margin
        self.fixedThreshold = fixedThreshold
    }

    /// The similarity a match needs when `gallerySize` people are enrolled (each one a chance for a stranger to
    /// pass). Non-decreasing in `gallerySize` and never above 1, except that a fixed threshold is returned as set;
    /// with no tail and no fixed threshold, 1.
    ///
    /// - Parameter gallerySize: The number of enrolled users (N); values below 1 count as 1.
    public func threshold(forGallerySize gallerySize: Int) -> Double {
        if let fixedThreshold { return fixedThreshold }
        guard let impostorTail else { return 1 }
        let target = min(max(targetFalseAcceptRate, .leastNormalMagnitude), 1)
        let rate = target / Double(max(gallerySize, 1))
        return min(1, impostorTail.similarity(exceededAtRate: rate))
    }

    /// How much rarer than a false accept a wrongly refused enrolment must be: refusing a new person as "already
    /// enrolled" locks them out for good, while a person enrolled twice costs little, so the duplicate check asks
    /// for a similarity strangers reach a hundred times less often than the match threshold.
    public static let duplicateEvidenceFactor = 100.0

    /// The similarity at which a new face counts as an enrolled user's own ("already enrolled"): the match
    /// threshold at a hundredth of the target FAR, or the fixed threshold when one is set.
    public func duplicateThreshold(forGallerySize gallerySize: Int) -> Double {
        var strict = self
        strict.targetFalseAcceptRate = targetFalseAcceptRate / Self.duplicateEvidenceFactor
        return strict.threshold(forGallerySize: gallerySize)
    }

    /// The rule in one line for the log, e.g. "target FAR 0.01 (threshold 0.501 at 861 people), margin 0".
    public func summary(forGallerySize gallerySize: Int) -> String {
        let threshold = (self.threshold(forGallerySize: gallerySize) * 1000).rounded() / 1000
        if fixedThreshold != nil { return "fixed threshold \(threshold), margin \(margin)" }
        return "target FAR \(targetFalseAcceptRate) (threshold \(threshold) at \(gallerySize) people), margin \(margin)"
    }

    /// Decides from the two best users' scores. `override` replaces the size-dependent threshold (a caller's
    /// explicit threshold); the margin still applies.
    ///
    /// - Returns: `.match(best)` when `best` reaches the threshold and leads `runnerUp` (taken as −1 when there is
    ///   none) by at least `margin`; otherwise `.noMatch`.
    public func decide(best: Candidate?, runnerUp: Candidate?, gallerySize: Int, override: Double? = nil)
        -> IdentificationDecision
    {
        guard let best else { return .noMatch(best: nil) }
        let required = override ?? threshold(forGallerySize: gallerySize)
        let lead = best.similarity - (runnerUp?.similarity ?? -1)
        guard best.similarity >= required, lead >= margin else { return .noMatch(best: best) }
        return .match(best)
    }
}
