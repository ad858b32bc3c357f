public import FaceMatrixCore
import Foundation

/// Fits the impostor tail (`ImpostorTail`) to measured different-person similarities.
///
/// Each pair of people carries the same weight, however many photos either has: the rate is "how often a random
/// stranger's photo reaches t against a random enrolled person", so the FAR it predicts is the share of
/// strangers taken for someone. Weighting photo pairs instead lets one prolific look-alike pair (Serena and Venus
/// Williams, 69 photos between them in the shared folds) move the whole fit.
///
/// The open-set threshold for N enrolled people and a target FAR sits where the rate is FAR / N: down to 1e-7 for
/// 100,000 people at 1 %. The data measures rates down to about 20 / (pairs of people); below that the fitted
/// line extrapolates, as the exponential tail of extreme-value theory (Gumbel domain) does. Cosine similarity is
/// bounded by 1, so the real tail falls faster than the line in the far tail: the extrapolation errs towards a
/// higher threshold, i.e. towards fewer false accepts.
public struct ImpostorTailFit: Codable, Sendable {
    /// One measured point: the similarity reached by a fraction `rate` of impostor pairs, and how far the fitted
    /// line is from it.
    public struct Point: Codable, Sendable, Equatable {
        /// The exceedance rate, a fraction of the pairs of people.
        public var rate: Double
        /// The similarity that fraction reaches in the data.
        public var similarity: Double
        /// The fitted tail's similarity at `rate`.
        public var fitted: Double
        /// `similarity` − `fitted`.
        public var residual: Double
    }

    /// The fitted tail, for `MatchThresholds.impostorTail`.
    public var tail: ImpostorTail
    /// The 25 rates the fit used, from the lowest up, with measured and fitted similarities.
    public var points: [Point]
    /// Pairs of photos of different people the fit saw.
    public var photoPairs: Int
    /// Pairs of different people the fit saw: n(n − 1)/2 for n people.
    public var identityPairs: Int
    /// Lowest rate fitted: `minimumExceedances` / `identityPairs`, or the requested lowest rate if higher.
    public var lowestRate: Double
    /// Highest rate fitted: the requested one, raised to at least ten times `lowestRate` and capped at 0.5.
    public var highestRate: Double

    enum CodingKeys: String, CodingKey {
        case tail, points
        case photoPairs = "photo_pairs"
        case identityPairs = "identity_pairs"
        case lowestRate = "lowest_rate"
        case highestRate = "highest_rate"
    }

    /// The fewest exceedances (in pairs of people) a point may rest on: below that the quantile is mostly noise.
    public static let minimumExceedances = 20.0
    /// Pairs of people needed for a decade of rates (20 / 400 = 0.05 to 0.5): 29 people.
    public static let minimumIdentityPairs = 400

    /// Fits t = location + scale · ln(1/r) by least squares on 25 log-spaced rates from the lowest the data
    /// supports (or `lowestRate`, when higher) to `highestRate`. Nil when there are too few pairs for that, or when
    /// the scores do not fall off as rates fall.
    ///
    /// This is an ordinary least-squares line through the tail of the exponential quantile plot (similarity
    /// against ln(1/rate)), not a maximum-likelihood fit.
    ///
    /// - Parameters:
    ///   - scores: Impostor similarities, weighted by pairs of people.
    ///   - lowestRate: The lowest rate to fit, a fraction; raised to what the data supports.
    ///   - highestRate: The highest rate to fit, a fraction.
    public static func fit(_ scores: ImpostorScores, lowestRate: Double = 1e-7, highestRate: Double = 1e-2) -> Self? {
        guard scores.identityPairs >= minimumIdentityPairs else { return nil }
        let low = max(lowestRate, minimumExceedances / Double(scores.identityPairs))
        // A small folder cannot reach the far tail; it fits at least a decade of what it can measure.
        let highestRate = min(max(highestRate, 10 * low), 0.5)
        guard low < highestRate else { return nil }
        let steps = 24
        let rates = (0...steps).map { step in
            exp(log(low) + (log(highestRate) - log(low)) * Double(step) / Double(steps))
        }
        let measured = rates.map { (log(1 / $0), scores.similarity(exceededAtRate: $0)) }
        let meanX = measured.map(\.0).reduce(0, +) / Double(measured.count)
        let meanY = measured.map(\.1).reduce(0, +) / Double(measured.count)
        let covariance = measured.reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) }
        let variance = measured.reduce(0) { $0 + ($1.0 - meanX) * ($1.0 - meanX) }
        guard variance > 0 else { return nil }
        let scale = covariance / variance
        // A flat or falling "tail" (identical scores, say) predicts nothing about strangers.
        guard scale > 0 else { return nil }
        let tail = ImpostorTail(location: meanY - scale * meanX, scale: scale)
        let points = zip(rates, measured).map { rate, point in
            let fitted = tail.similarity(exceededAtRate: rate)
            return Point(rate: rate, similarity: point.1, fitted: fitted, residual: point.1 - fitted)
        }
        return Self(
            tail: tail,
            points: points,
            photoPairs: scores.count,
            identityPairs: scores.identityPairs,
            lowestRate: low,
            highestRate: highestRate
        )
    }
}

/// Similarities of every pair of photos of different people, each weighted so that every pair of people weighs
/// the same, sorted from the highest.
public struct ImpostorScores: Sendable {
    let similarities: [Float]
    /// Running sums of the weights in `similarities`' order, ending at 1.
    let cumulativeWeights: [Double]
    /// Pairs of different people: n(n − 1)/2 for the photos' n identities, or one per score.
    public let identityPairs: Int

    /// Scores every pair of photos of different people: n(n − 1)/2 dot products for n photos.
    public init(_ photos: [EmbeddedPhoto]) {
        var photoCount: [String: Int] = [:]
        for photo in photos { photoCount[photo.identity, default: 0] += 1 }
        var similarities: [Float] = []
        var weights: [Float] = []
        for (index, photo) in photos.enumerated() {
            let own = Float(photoCount[photo.identity] ?? 1)
            for other in photos[(index + 1)...] where other.identity != photo.identity {
                similarities.append(Float(photo.embedding.fastSimilarity(to: other.embedding)))
                weights.append(1 / (own * Float(photoCount[other.identity] ?? 1)))
            }
        }
        let order = similarities.indices.sorted { similarities[$0] > similarities[$1] }
        var total = 0.0
        var cumulative = [Double](repeating: 0, count: order.count)
        for (rank, index) in order.enumerated() {
            total += Double(weights[index])
            cumulative[rank] = total
        }
        self.similarities = order.map { similarities[$0] }
        self.cumulativeWeights = cumulative.map { $0 / max(total, .leastNormalMagnitude) }
        let people = photoCount.count
        self.identityPairs = people * (people - 1) / 2
    }

    /// Scores that each stand for one pair of people (weighted alike).
    public init(scores: [Double]) {
        self.similarities = scores.map(Float.init).sorted(by: >)
        let count = Double(max(scores.count, 1))
        self.cumulativeWeights = (0..<scores.count).map { Double($0 + 1) / count }
        self.identityPairs = scores.count
    }

    /// The number of scores: photo pairs, or the scores given.
    public var count: Int { similarities.count }

    /// The similarity that a fraction `rate` of the pairs of people reach; 1 when there are no scores.
    public func similarity(exceededAtRate rate: Double) -> Double {
        guard !similarities.isEmpty else { return 1 }
        var low = 0
        var high = cumulativeWeights.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulativeWeights[middle] < rate { low = middle + 1 } else { high = middle }
        }
        return Double(similarities[low])
    }
}
