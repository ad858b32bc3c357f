public import FaceMatrixCore

/// The replaced system's FRR/FAR protocol: every other person (in name order) is enrolled with their first photo
/// (the first that has a face and passes the quality gate: a refused person tries again with their next photo);
/// FRR is the share of enrolled people whose following photo is not answered with that person; FAR the share of
/// all photos of the never-enrolled people answered with anyone. `make bench-accuracy` runs the same split through
/// the HTTP API, so the two must agree.
public struct OriginalProtocol: Sendable {
    /// The protocol's figures under one policy.
    public struct Result: Codable, Sendable {
        /// People enrolled.
        public var gallerySize: Int
        /// The policy's threshold at that gallery size.
        public var threshold: Double
        /// The policy's target open-set FAR, a fraction.
        public var targetFalseAcceptRate: Double
        /// FRR: the share of queried enrolled people whose next photo is not matched to them.
        public var falseRejectRate: Double
        /// Strangers' photos answered with someone, as a share of their photos (the original's definition)…
        public var falseAcceptRate: Double
        /// …and as the mean of each stranger's own rate (the share of strangers, what the calibration targets).
        public var personFalseAcceptRate: Double
        /// People none of whose photos passes the quality gate: never enrolled, never queried.
        public var refusedAtEnrollment: Int
        /// Genuine queries answered with the wrong person.
        public var wrongPerson: Int
        /// Enrolled people with a next photo to query.
        public var genuineQueries: Int
        /// Photos of never-enrolled people queried.
        public var impostorQueries: Int

        enum CodingKeys: String, CodingKey {
            case gallerySize = "gallery_size"
            case threshold
            case targetFalseAcceptRate = "target_far"
            case falseRejectRate = "frr"
            case falseAcceptRate = "far"
            case personFalseAcceptRate = "person_far"
            case refusedAtEnrollment = "refused_at_enrolment"
            case wrongPerson = "wrong_person"
            case genuineQueries = "genuine_queries"
            case impostorQueries = "impostor_queries"
        }
    }

    /// Whether a person is enrolled: every other identity in sorted order, starting with the first.
    public static func enrolledIdentities(_ identities: Set<String>) -> Set<String> {
        Set(identities.sorted().enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
    }

    let enrolled: Set<String>
    let galleryCount: Int
    let refused: Int
    /// The split's similarities, computed once for every policy evaluated on it.
    let trials: OpenSetTrials

    /// Splits the people, enrols them through the quality gate and computes every similarity once.
    ///
    /// - Parameters:
    ///   - photos: every photo with a face.
    ///   - identities: every person of the dataset, faces or not, so that the split does not depend on detection.
    ///   - quality: the enrolment gate; nil enrols everyone.
    public init(_ photos: [EmbeddedPhoto], identities: Set<String>, quality: QualityRequirements? = nil) {
        enrolled = Self.enrolledIdentities(identities)
        var byIdentity: [String: [EmbeddedPhoto]] = [:]
        for photo in photos.sorted(by: { $0.path < $1.path }) { byIdentity[photo.identity, default: []].append(photo) }
        var gallery: [EmbeddedPhoto] = []
        var genuine: [EmbeddedPhoto] = []
        var impostors: [EmbeddedPhoto] = []
        var refused = 0
        for (identity, own) in byIdentity.sorted(by: { $0.key < $1.key }) {
            guard enrolled.contains(identity) else {
                impostors.append(contentsOf: own)
                continue
            }
            // A person whose photo the quality gate refuses tries their next one, as they would at the camera.
            guard let chosen = own.firstIndex(where: { quality?.shortfalls(of: $0.quality).isEmpty ?? true }) else {
                refused += 1
                continue
            }
            gallery.append(own[chosen])
            if chosen + 1 < own.count { genuine.append(own[chosen + 1]) }
        }
        self.galleryCount = gallery.count
        self.refused = refused
        self.trials = OpenSetTrials(probes: genuine + impostors, pool: gallery)
    }

    /// The protocol's figures under `policy`.
    public func evaluate(policy: IdentificationPolicy) -> Result {
        let counts = trials.run(gallery: Array(0..<galleryCount), policy: policy)
        let enrolledCounts = counts.filter { enrolled.contains($0.key) }.values.reduce(OpenSetCounts(), +)
        // The enrolled people's photos were also asked with their person left out; only strangers count here.
        let strangers = counts.filter { !enrolled.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        let strangerCounts = strangers.reduce(OpenSetCounts(), +)
        return Result(
            gallerySize: galleryCount,
            threshold: policy.threshold(forGallerySize: galleryCount),
            targetFalseAcceptRate: policy.targetFalseAcceptRate,
            falseRejectRate: enrolledCounts.falseRejectRate,
            falseAcceptRate: strangerCounts.falseAcceptRate,
            personFalseAcceptRate: RotatedFolds.personFalseAcceptRate(strangers),
            refusedAtEnrollment: refused,
            wrongPerson: enrolledCounts.wrongPerson,
            genuineQueries: enrolledCounts.genuineQueries,
            impostorQueries: strangerCounts.impostorQueries
        )
    }
}
