import Foundation

/// The best-scoring enrolled face of one user, for one query.
public struct Candidate: Sendable, Equatable {
    public var userID: String
    public var similarity: Double

    public init(userID: String, similarity: Double) {
        self.userID = userID
        self.similarity = similarity
    }
}

/// What a recognition query concluded.
public enum IdentificationDecision: Sendable, Equatable {
    case match(Candidate)
    /// Nobody passed; `best` is the closest user, if anyone is enrolled.
    case noMatch(best: Candidate?)
}

/// The open-set rule: who, if anyone, a face belongs to among the enrolled users.
///
/// With many enrolled people the nearest face is often a stranger's: the highest of N impostor similarities grows
/// with N. So a match must (1) reach a threshold that rises with the logarithm of the gallery size, holding the
/// false-accept rate as people enrol, and (2) beat the best candidate of any other user by a margin, since two
/// users scoring almost alike means the face is not clearly either. Users are scored by their best face.
public struct IdentificationPolicy: Sendable, Equatable {
    /// The threshold at `referenceGallerySize` enrolled users.
    public var threshold: Double
    public var margin: Double
    public var referenceGallerySize: Int
    /// How much the threshold rises for every tenfold growth of the gallery.
    public var slopePerDecade: Double
    /// The threshold never drops below this, however few users are enrolled.
    public var minimumThreshold: Double

    public init(
        threshold: Double, margin: Double, referenceGallerySize: Int, slopePerDecade: Double, minimumThreshold: Double
    ) {
        self.threshold = threshold
        self.margin = margin
        self.referenceGallerySize = referenceGallerySize
        self.slopePerDecade = slopePerDecade
        self.minimumThreshold = minimumThreshold
    }

    public init(_ thresholds: MatchThresholds) {
        self.init(
            threshold: thresholds.identification, margin: thresholds.identificationMargin,
            referenceGallerySize: thresholds.referenceGallerySize,
            slopePerDecade: thresholds.identificationSlopePerDecade, minimumThreshold: thresholds.verification)
    }

    /// The similarity a match needs when `gallerySize` users are enrolled.
    public func threshold(forGallerySize gallerySize: Int) -> Double {
        let decades = log10(Double(max(gallerySize, 1)) / Double(max(referenceGallerySize, 1)))
        return max(minimumThreshold, threshold + slopePerDecade * decades)
    }

    /// Decides from the two best users' scores. `override` replaces the size-dependent threshold (a caller's
    /// explicit threshold); the margin still applies.
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
