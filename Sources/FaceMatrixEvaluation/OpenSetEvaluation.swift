public import FaceMatrixCore

/// The main face of one labelled photo, embedded by the service's own pipeline.
public struct EmbeddedPhoto: Codable, Sendable {
    /// Relative to the dataset's root, as in `labels.csv`.
    public var path: String
    /// The person in the photo.
    public var identity: String
    /// The photo's fold (see `LabelledDataset.Photo.fold`).
    public var fold: Int
    /// The main face's embedding.
    public var embedding: Embedding
    /// The main face's quality measurements, for the enrolment gate.
    public var quality: FaceQuality

    /// Creates the record of one embedded photo.
    public init(path: String, identity: String, fold: Int, embedding: Embedding, quality: FaceQuality) {
        self.path = path
        self.identity = identity
        self.fold = fold
        self.embedding = embedding
        self.quality = quality
    }
}

extension Embedding {
    /// Cosine similarity, compiled with this module's optimisation: an evaluation makes millions of them. Both
    /// embeddings come from one model; extra values of a longer one are ignored.
    func fastSimilarity(to other: Embedding) -> Double {
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                var dot: Float = 0
                for index in 0..<min(a.count, b.count) { dot += a[index] * b[index] }
                return Double(dot)
            }
        }
    }
}

/// What an open-set trial counted. A *genuine* query is a photo of an enrolled person: it must be matched to that
/// person. Every query is also an *impostor* query with its own person left out of the gallery (as if never
/// enrolled): it must then be rejected.
public struct OpenSetCounts: Codable, Sendable, Equatable {
    /// Queries by enrolled people, each with a photo other than their enrolment photo.
    public var genuineQueries = 0
    /// Genuine queries not matched to their own person (rejected, or given to someone else).
    public var falseRejects = 0
    /// Genuine queries given to someone else: the original system's "FAR".
    public var wrongPerson = 0
    /// Queries with the querying person left out of the gallery.
    public var impostorQueries = 0
    /// Impostor queries matched to anyone.
    public var falseAccepts = 0

    /// All counts zero.
    public init() {}

    /// FRR: `falseRejects` / `genuineQueries`, a fraction; 0 when there were none.
    public var falseRejectRate: Double { Double(falseRejects) / Double(max(genuineQueries, 1)) }
    /// Open-set FAR: `falseAccepts` / `impostorQueries`, a fraction; 0 when there were none.
    public var falseAcceptRate: Double { Double(falseAccepts) / Double(max(impostorQueries, 1)) }

    static func + (lhs: Self, rhs: Self) -> Self {
        var sum = lhs
        sum.genuineQueries += rhs.genuineQueries
        sum.falseRejects += rhs.falseRejects
        sum.wrongPerson += rhs.wrongPerson
        sum.impostorQueries += rhs.impostorQueries
        sum.falseAccepts += rhs.falseAccepts
        return sum
    }

    enum CodingKeys: String, CodingKey {
        case genuineQueries = "genuine_queries"
        case falseRejects = "false_rejects"
        case wrongPerson = "wrong_person"
        case impostorQueries = "impostor_queries"
        case falseAccepts = "false_accepts"
    }
}

/// Probes against a pool of enrollable people, with every similarity computed once, so that many galleries drawn
/// from the pool cost a scan each and no new dot products.
public struct OpenSetTrials: Sendable {
    /// One query photo.
    public struct Probe: Sendable {
        /// The person in the photo.
        public let identity: String
        /// The probe's own person in the pool, if there.
        let ownIndex: Int?
        /// False for the photo a person is enrolled with: it only ever serves as an impostor query.
        let isGenuineQuery: Bool
    }

    /// The query photos, in the order given.
    public let probes: [Probe]
    /// The pool's identities, one enrolment photo per person; gallery members are indices into it.
    public let pool: [String]
    /// probes.count × pool.count similarities, row by row.
    let similarities: [Float]

    /// Computes every probe–pool similarity once (probes × pool dot products).
    ///
    /// - Parameters:
    ///   - probes: the query photos; one that is also in `pool` is queried as an impostor only.
    ///   - pool: one enrolment photo per person.
    public init(probes: [EmbeddedPhoto], pool: [EmbeddedPhoto]) {
        let index = Dictionary(pool.enumerated().map { ($1.identity, $0) }, uniquingKeysWith: { first, _ in first })
        let enrollmentPaths = Set(pool.map(\.path))
        self.pool = pool.map(\.identity)
        self.probes = probes.map {
            Probe(
                identity: $0.identity,
                ownIndex: index[$0.identity],
                isGenuineQuery: !enrollmentPaths.contains($0.path)
            )
        }
        var similarities = [Float](repeating: 0, count: probes.count * pool.count)
        for (row, probe) in probes.enumerated() {
            for (column, enrolled) in pool.enumerated() {
                similarities[row * pool.count + column] = Float(probe.embedding.fastSimilarity(to: enrolled.embedding))
            }
        }
        self.similarities = similarities
    }

    /// Counts for the gallery made of the pool members `gallery` (indices into `pool`), per probe identity.
    ///
    /// Each probe whose person is in the gallery is a genuine query (unless it is that person's enrolment photo);
    /// every probe is also an impostor query against the gallery without its person. `policy` decides both, at
    /// the size of the gallery it searches.
    public func run(gallery: [Int], policy: IdentificationPolicy) -> [String: OpenSetCounts] {
        var enrolled = [Bool](repeating: false, count: pool.count)
        for member in gallery { enrolled[member] = true }
        var counts: [String: OpenSetCounts] = [:]
        for (row, probe) in probes.enumerated() {
            let own = probe.ownIndex.flatMap { enrolled[$0] ? $0 : nil }
            var ranking = TopTwo()
            var others = TopTwo()
            for member in gallery {
                let similarity = Double(similarities[row * pool.count + member])
                ranking.add(member, similarity)
                if member != own { others.add(member, similarity) }
            }
            var tally = counts[probe.identity] ?? OpenSetCounts()
            if let own, probe.isGenuineQuery {
                tally.countGenuine(
                    policy.decide(
                        best: ranking.first(pool),
                        runnerUp: ranking.second(pool),
                        gallerySize: gallery.count
                    ),
                    own: pool[own]
                )
            }
            // The same probe against the gallery without its own person: any match is a false accept.
            tally.impostorQueries += 1
            let impostorGallery = gallery.count - (own == nil ? 0 : 1)
            if case .match = policy.decide(
                best: others.first(pool),
                runnerUp: others.second(pool),
                gallerySize: impostorGallery
            ) {
                tally.falseAccepts += 1
            }
            counts[probe.identity] = tally
        }
        return counts
    }
}

extension OpenSetCounts {
    /// A probe whose own person is enrolled: only a match with that person is right.
    mutating func countGenuine(_ decision: IdentificationDecision, own: String) {
        genuineQueries += 1
        switch decision {
        case .match(let candidate) where candidate.userID == own: break
        case .match:
            falseRejects += 1
            wrongPerson += 1
        case .noMatch: falseRejects += 1
        }
    }
}

/// The two best (member, similarity) seen so far.
struct TopTwo {
    var best: (Int, Double)?
    var runnerUp: (Int, Double)?

    mutating func add(_ member: Int, _ similarity: Double) {
        if let current = best, similarity <= current.1 {
            if similarity > (runnerUp?.1 ?? -.infinity) { runnerUp = (member, similarity) }
        } else {
            runnerUp = best
            best = (member, similarity)
        }
    }

    func first(_ pool: [String]) -> Candidate? { best.map { Candidate(userID: pool[$0.0], similarity: $0.1) } }
    func second(_ pool: [String]) -> Candidate? { runnerUp.map { Candidate(userID: pool[$0.0], similarity: $0.1) } }
}
