/// Error rates of a similarity threshold on labelled pairs.
public struct ErrorRates: Codable, Sendable, Equatable {
    public var threshold: Double
    /// Same-person pairs rejected, as a fraction.
    public var falseRejectRate: Double
    /// Different-person pairs accepted, as a fraction.
    public var falseAcceptRate: Double
    public var accuracy: Double
    public var genuine: Int
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
    public var genuine: [Double]
    public var impostor: [Double]

    public init(genuine: [Double], impostor: [Double]) {
        self.genuine = genuine
        self.impostor = impostor
    }

    public func rates(at threshold: Double) -> ErrorRates {
        let rejected = genuine.filter { $0 < threshold }.count
        let accepted = impostor.filter { $0 >= threshold }.count
        let total = genuine.count + impostor.count
        return ErrorRates(
            threshold: threshold,
            falseRejectRate: Double(rejected) / Double(max(genuine.count, 1)),
            falseAcceptRate: Double(accepted) / Double(max(impostor.count, 1)),
            accuracy: Double(total - rejected - accepted) / Double(max(total, 1)),
            genuine: genuine.count, impostor: impostor.count)
    }

    /// The threshold with the highest accuracy, placed midway between the two scores it separates.
    public func bestAccuracyThreshold() -> Double {
        let candidates = (genuine + impostor).sorted()
        var best = (threshold: candidates.first ?? 0, accuracy: -1.0)
        for (low, high) in zip(candidates, candidates.dropFirst()) where high > low {
            let threshold = (low + high) / 2
            let accuracy = rates(at: threshold).accuracy
            if accuracy > best.accuracy { best = (threshold, accuracy) }
        }
        return best.threshold
    }

    /// Area under the ROC curve: the chance a same-person pair outscores a different-person pair.
    public var areaUnderCurve: Double {
        let sorted = impostor.sorted()
        var wins = 0.0
        for score in genuine {
            var low = 0
            var high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle] < score { low = middle + 1 } else { high = middle }
            }
            var ties = low
            while ties < sorted.count && sorted[ties] == score { ties += 1 }
            wins += Double(low) + Double(ties - low) / 2
        }
        return wins / Double(max(genuine.count * impostor.count, 1))
    }
}
