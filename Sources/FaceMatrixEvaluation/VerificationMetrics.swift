/// Error rates of a similarity threshold on labelled pairs.
public struct ErrorRates: Codable, Sendable, Equatable {
    /// The similarity at or above which a pair is accepted.
    public var threshold: Double
    /// Same-person pairs rejected, as a fraction.
    public var falseRejectRate: Double
    /// Different-person pairs accepted, as a fraction.
    public var falseAcceptRate: Double
    /// Pairs decided correctly, as a fraction of all pairs.
    public var accuracy: Double
    /// Same-person pairs scored.
    public var genuine: Int
    /// Different-person pairs scored.
    public var impostor: Int

    enum CodingKeys: String, CodingKey {
        case threshold
        case falseRejectRate = "frr"
        case falseAcceptRate = "far"
        case accuracy, genuine, impostor
    }
}

/// 1:1 verification: scores of same-person and different-person pairs.
public struct VerificationScores: Sendable {
    /// Cosine similarities of same-person pairs, in [-1, 1].
    public var genuine: [Double]
    /// Cosine similarities of different-person pairs, in [-1, 1].
    public var impostor: [Double]

    /// Creates the score sets from cosine similarities.
    public init(genuine: [Double], impostor: [Double]) {
        self.genuine = genuine
        self.impostor = impostor
    }

    /// FRR, FAR and accuracy when pairs scoring at least `threshold` are accepted.
    public func rates(at threshold: Double) -> ErrorRates {
        let rejected = genuine.filter { $0 < threshold }.count
        let accepted = impostor.filter { $0 >= threshold }.count
        let total = genuine.count + impostor.count
        return ErrorRates(
            threshold: threshold,
            falseRejectRate: Double(rejected) / Double(max(genuine.count, 1)),
            falseAcceptRate: Double(accepted) / Double(max(impostor.count, 1)),
            accuracy: Double(total - rejected - accepted) / Double(max(total, 1)),
            genuine: genuine.count,
            impostor: impostor.count
        )
    }

    /// The threshold with the highest accuracy, placed midway between the two scores it separates. One sweep
    /// over the sorted scores, so millions of pairs cost a sort. 0 when there are no scores.
    public func bestAccuracyThreshold() -> Double {
        let labeled = (genuine.map { ($0, true) } + impostor.map { ($0, false) }).sorted { $0.0 < $1.0 }
        guard let lowest = labeled.first?.0 else { return 0 }
        // Threshold below every score: every genuine pair accepted, every impostor accepted.
        var correct = genuine.count
        var best = (threshold: lowest, correct: correct)
        var index = 0
        while index < labeled.count {
            let score = labeled[index].0
            while index < labeled.count && labeled[index].0 == score {
                correct += labeled[index].1 ? -1 : 1
                index += 1
            }
            guard index < labeled.count else { break }
            if correct > best.correct { best = ((score + labeled[index].0) / 2, correct) }
        }
        return best.threshold
    }

    /// (FAR, FRR) at `points` thresholds spread evenly over the scores' range, for a DET curve.
    public func detectionErrorTradeoff(points: Int = 200) -> [[Double]] {
        let all = genuine + impostor
        guard let low = all.min(), let high = all.max(), high > low, points > 1 else { return [] }
        let sortedGenuine = genuine.sorted()
        let sortedImpostor = impostor.sorted()
        return (0..<points).map { step in
            let threshold = low + (high - low) * Double(step) / Double(points - 1)
            let rejected = Self.countBelow(threshold, in: sortedGenuine)
            let accepted = sortedImpostor.count - Self.countBelow(threshold, in: sortedImpostor)
            return [
                Double(accepted) / Double(max(sortedImpostor.count, 1)),
                Double(rejected) / Double(max(sortedGenuine.count, 1)),
            ]
        }
    }

    /// How many of `sorted` are below `value`.
    static func countBelow(_ value: Double, in sorted: [Double]) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Area under the ROC curve: the chance a same-person pair outscores a different-person pair, ties counting
    /// half: the Mann–Whitney U statistic divided by the number of genuine × impostor comparisons.
    public var areaUnderCurve: Double {
        let sorted = impostor.sorted()
        var wins = 0.0
        for score in genuine {
            let low = Self.countBelow(score, in: sorted)
            var ties = low
            while ties < sorted.count && sorted[ties] == score { ties += 1 }
            wins += Double(low) + Double(ties - low) / 2
        }
        return wins / Double(max(genuine.count * impostor.count, 1))
    }
}
