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
        public var rate: Double
        public var similarity: Double
        public var fitted: Double
        public var residual: Double
    }

    public var tail: ImpostorTail
    public var points: [Point]
    /// How many photo pairs, and pairs of people, the fit saw.
    public var photoPairs: Int
    public var identityPairs: Int
    /// The rates the points span.
    public var lowestRate: Double
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
            tail: tail, points: points, photoPairs: scores.count, identityPairs: scores.identityPairs, lowestRate: low,
            highestRate: highestRate)
    }
}

/// Similarities of every pair of photos of different people, each weighted so that every pair of people weighs
/// the same, sorted from the highest.
public struct ImpostorScores: Sendable {
    let similarities: [Float]
    /// Running sums of the weights in `similarities`' order, ending at 1.
    let cumulativeWeights: [Double]
    public let identityPairs: Int

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

    public var count: Int { similarities.count }

    /// The similarity that a fraction `rate` of the pairs of people reach.
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
