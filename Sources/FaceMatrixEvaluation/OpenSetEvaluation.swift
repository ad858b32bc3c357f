public import FaceMatrixCore

/// The original system's 1:N protocol, made open-set: the first photo of every person is enrolled, every other
/// photo is a query. A query of an enrolled person is a *genuine* query and must be matched to that person; every
/// query is also an *impostor* query with its own person left out of the gallery (as if never enrolled), and
/// must then be rejected. Queries of people who are not enrolled at all are impostor queries only.
public struct OpenSetEvaluation: Sendable {
    /// The two best users for one query, with and without the query's own person in the gallery.
    public struct Query: Sendable {
        public let identity: String
        public let isEnrolled: Bool
        public let best: Candidate?
        public let runnerUp: Candidate?
        public let bestWithoutOwn: Candidate?
        public let runnerUpWithoutOwn: Candidate?
    }

    public struct Result: Codable, Sendable, Equatable {
        public var gallerySize: Int
        public var threshold: Double
        public var margin: Double
        /// Genuine queries not matched to their own person (rejected or given to someone else).
        public var falseRejectRate: Double
        /// Impostor queries matched to someone.
        public var falseAcceptRate: Double
        public var genuineQueries: Int
        public var impostorQueries: Int
        /// The original system's figures: the share of genuine queries left unmatched (its FRR) and matched to
        /// someone else (its FAR, the misidentification rate).
        public var unmatchedRate: Double
        public var wrongPersonRate: Double

        enum CodingKeys: String, CodingKey {
            case gallerySize = "gallery_size"
            case threshold, margin
            case falseRejectRate = "frr"
            case falseAcceptRate = "far"
            case genuineQueries = "genuine_queries"
            case impostorQueries = "impostor_queries"
            case unmatchedRate = "original_protocol_frr"
            case wrongPersonRate = "original_protocol_far"
        }
    }

    public let gallerySize: Int
    public let queries: [Query]

    /// - Parameters:
    ///   - gallery: one enrolled embedding per identity.
    ///   - probes: query embeddings with their identities.
    public init(gallery: [(identity: String, embedding: Embedding)], probes: [(identity: String, embedding: Embedding)])
    {
        self.gallerySize = gallery.count
        let enrolled = Set(gallery.map(\.identity))
        self.queries = probes.map { probe in
            var top: [Candidate] = []  // the three best, best first: enough for best and runner-up without own
            for entry in gallery {
                let candidate = Candidate(
                    userID: entry.identity, similarity: probe.embedding.similarity(to: entry.embedding))
                if top.count < 3 || candidate.similarity > top[top.count - 1].similarity {
                    top.append(candidate)
                    top.sort { $0.similarity > $1.similarity }
                    if top.count > 3 { top.removeLast() }
                }
            }
            let others = top.filter { $0.userID != probe.identity }
            return Query(
                identity: probe.identity, isEnrolled: enrolled.contains(probe.identity), best: top.first,
                runnerUp: top.dropFirst().first,
                bestWithoutOwn: others.first, runnerUpWithoutOwn: others.dropFirst().first)
        }
    }

    public func evaluate(_ policy: IdentificationPolicy, override: Double? = nil) -> Result {
        var genuine = 0
        var falseRejects = 0
        var unmatched = 0
        var misidentified = 0
        var falseAccepts = 0
        for query in queries {
            if query.isEnrolled {
                genuine += 1
                switch policy.decide(
                    best: query.best, runnerUp: query.runnerUp, gallerySize: gallerySize, override: override)
                {
                case .match(let candidate) where candidate.userID == query.identity: break
                case .match:
                    misidentified += 1
                    falseRejects += 1
                case .noMatch:
                    unmatched += 1
                    falseRejects += 1
                }
            }
            // Without its own person the gallery is one smaller.
            if case .match = policy.decide(
                best: query.bestWithoutOwn, runnerUp: query.runnerUpWithoutOwn,
                gallerySize: gallerySize - (query.isEnrolled ? 1 : 0), override: override)
            {
                falseAccepts += 1
            }
        }
        let genuineCount = Double(max(genuine, 1))
        return Result(
            gallerySize: gallerySize, threshold: override ?? policy.threshold(forGallerySize: gallerySize),
            margin: policy.margin, falseRejectRate: Double(falseRejects) / genuineCount,
            falseAcceptRate: Double(falseAccepts) / Double(max(queries.count, 1)),
            genuineQueries: genuine,
            impostorQueries: queries.count, unmatchedRate: Double(unmatched) / genuineCount,
            wrongPersonRate: Double(misidentified) / genuineCount)
    }

    /// The lowest fixed threshold whose false-accept rate is at most `target` with this margin.
    public func threshold(forFalseAcceptRate target: Double, margin: Double) -> Double {
        // Impostor queries pass when their best other user reaches t and leads by the margin; those that lead
        // enough are accepted exactly when t ≤ their score, so the answer is an order statistic of those scores.
        let passingScores = queries.compactMap { query -> Double? in
            guard let best = query.bestWithoutOwn else { return nil }
            let lead = best.similarity - (query.runnerUpWithoutOwn?.similarity ?? -1)
            return lead >= margin ? best.similarity : nil
        }.sorted(by: >)
        let allowed = Int((target * Double(queries.count)).rounded(.down))
        guard allowed < passingScores.count else { return -1 }
        return passingScores[allowed].nextUp
    }
}
