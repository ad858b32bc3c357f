public import FaceMatrixCore

/// What each enrolment quality criterion costs and buys: how many people it would refuse, and how often those
/// people, enrolled anyway, are then not recognised, next to everyone else. A criterion pays only when the faces
/// it refuses really do recognise worse.
public struct QualityGateStudy: Sendable {
    /// One minimum on one quality measure, and what it would do.
    public struct Criterion: Codable, Sendable {
        /// The measure, e.g. "frontal score" or "face size (px)".
        public var name: String
        /// The minimum studied, in the measure's units.
        public var minimum: Double
        /// People whose enrolment photo falls below the minimum.
        public var refusedPeople: Int
        /// `refusedPeople` as a fraction of everyone enrolled.
        public var refusedShare: Double
        /// FRR of the genuine queries of the refused people when they are enrolled anyway…
        public var refusedFalseRejectRate: Double
        /// The genuine queries behind `refusedFalseRejectRate`.
        public var refusedGenuineQueries: Int
        /// …and of everyone else.
        public var acceptedFalseRejectRate: Double
        /// The genuine queries behind `acceptedFalseRejectRate`.
        public var acceptedGenuineQueries: Int

        enum CodingKeys: String, CodingKey {
            case name, minimum
            case refusedPeople = "refused_people"
            case refusedShare = "refused_share"
            case refusedFalseRejectRate = "refused_frr"
            case refusedGenuineQueries = "refused_genuine_queries"
            case acceptedFalseRejectRate = "accepted_frr"
            case acceptedGenuineQueries = "accepted_genuine_queries"
        }
    }

    /// Everyone enrolled with their first photo; every other photo a genuine query.
    ///
    /// - Returns: One criterion for each configured minimum, plus the candidates the README weighs (sharpness 10
    ///   and 30, frontal score 0.15 and 0.3).
    public static func run(_ photos: [EmbeddedPhoto], requirements: QualityRequirements, policy: IdentificationPolicy)
        -> [Criterion]
    {
        let split = EnrollmentSplit(photos)
        let counts = OpenSetTrials(probes: split.probes, pool: split.enrollment)
            .run(gallery: Array(split.enrollment.indices), policy: policy)
        // The configured minimums, and the candidates the README weighs (the former defaults among them).
        let criteria: [(String, Double, (FaceQuality) -> Double)] =
            [
                ("detection confidence", requirements.minimumConfidence, { $0.confidence }),
                ("face size (px)", requirements.minimumFaceSize, { $0.faceSize }),
                ("eye distance (px)", requirements.minimumInterocularDistance, { $0.interocularDistance }),
            ]
            + Set([requirements.minimumSharpness, 10, 30]).sorted().map { ("sharpness", $0, { $0.sharpness }) }
            + Set([requirements.minimumFrontalScore, 0.15, 0.3]).sorted().map {
                ("frontal score", $0, { $0.frontalScore })
            }
        return criteria.map { name, minimum, value in
            var refused = 0
            var below = OpenSetCounts()
            var above = OpenSetCounts()
            for photo in split.enrollment {
                let own = counts[photo.identity] ?? OpenSetCounts()
                if value(photo.quality) < minimum {
                    refused += 1
                    below = below + own
                } else {
                    above = above + own
                }
            }
            return Criterion(
                name: name,
                minimum: minimum,
                refusedPeople: refused,
                refusedShare: Double(refused) / Double(max(split.enrollment.count, 1)),
                refusedFalseRejectRate: below.falseRejectRate,
                refusedGenuineQueries: below.genuineQueries,
                acceptedFalseRejectRate: above.falseRejectRate,
                acceptedGenuineQueries: above.genuineQueries
            )
        }
    }
}
