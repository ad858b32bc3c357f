import FaceMatrixCore
import Foundation

/// The proof that a calibration holds on people it never saw: calibrate the impostor tail on all folds but one,
/// then query the held-out fold's photos against galleries of several sizes drawn at random, and measure FAR and
/// FRR at the target FAR.
///
/// Galleries up to the held-out fold's size are drawn from its people; larger ones add people of the other folds
/// as further enrolled strangers. Every query and every query–gallery comparison still involves a held-out
/// photo, none of which the calibration saw.
public struct RotatedFolds: Sendable {
    /// The figures for one held-out fold, or every rotation pooled, at one gallery size.
    public struct Row: Codable, Sendable {
        /// The held-out fold, or "all" for every rotation pooled.
        public var testFold: String
        /// The folds the tail was fitted on, e.g. "2+3", or "the others" for a pooled row.
        public var calibrationFolds: String
        /// People enrolled in each drawn gallery.
        public var gallerySize: Int
        /// Galleries drawn (summed over the rotations for a pooled row).
        public var draws: Int
        /// The target open-set FAR, a fraction.
        public var targetFalseAcceptRate: Double
        /// The threshold at this gallery size (mean over the rotations for a pooled row).
        public var threshold: Double
        /// The share of strangers taken for someone: each person's photos, pooled over the draws, give that
        /// person's acceptance rate, and the FAR is their mean (what the calibration targets).
        public var falseAcceptRate: Double
        /// 95 % percentile-bootstrap interval of `falseAcceptRate`, [low, high], from 1,000 resamples of the probes'
        /// identities.
        public var falseAcceptInterval: [Double]
        /// The share of impostor queries (photos) accepted: people with many photos weigh more.
        public var photoFalseAcceptRate: Double
        /// FRR over every genuine query, a fraction.
        public var falseRejectRate: Double
        /// The counts behind the rates, over every draw.
        public var counts: OpenSetCounts

        enum CodingKeys: String, CodingKey {
            case testFold = "test_fold"
            case calibrationFolds = "calibration_folds"
            case gallerySize = "gallery_size"
            case draws
            case targetFalseAcceptRate = "target_far"
            case threshold
            case falseAcceptRate = "far"
            case falseAcceptInterval = "far_95"
            case photoFalseAcceptRate = "photo_far"
            case falseRejectRate = "frr"
            case counts
        }
    }

    /// Every embedded photo, of every fold.
    public let photos: [EmbeddedPhoto]
    /// The open-set FAR each calibration targets, a fraction.
    public var targetFalseAcceptRate: Double
    /// The identification margin, in similarity units.
    public var margin: Double
    /// Gallery sizes; 0 stands for every person of the dataset.
    public var gallerySizes: [Int]
    /// Galleries drawn per size (one when the size takes everyone).
    public var draws: Int
    /// Seed of the gallery draws and the bootstrap, so every run gives the same rows.
    public var seed: UInt64 = 2026

    /// Sets up the proof; nothing is computed until `run()`.
    ///
    /// - Parameters:
    ///   - photos: Every embedded photo, with its fold.
    ///   - targetFalseAcceptRate: The open-set FAR to target, a fraction.
    ///   - margin: The identification margin, in similarity units.
    ///   - gallerySizes: People per gallery; 0 stands for everyone.
    ///   - draws: Random galleries per size.
    public init(
        photos: [EmbeddedPhoto],
        targetFalseAcceptRate: Double,
        margin: Double,
        gallerySizes: [Int],
        draws: Int
    ) {
        self.photos = photos
        self.targetFalseAcceptRate = targetFalseAcceptRate
        self.margin = margin
        self.gallerySizes = gallerySizes
        self.draws = draws
    }

    /// One row per held-out fold and size, then the pooled rows. Folds whose calibration has too few impostor
    /// pairs for a tail fit are left out.
    public func run() -> [Row] {
        let split = EnrollmentSplit(photos)
        let folds = Array(Set(photos.map(\.fold))).sorted()
        guard folds.count >= 2 else { return [] }
        // Sizes beyond the number of people all mean "everyone": one row for them.
        let everyone = split.enrollment.count
        let sizes = Set(gallerySizes.map { $0 <= 0 ? everyone : min($0, everyone) }).sorted()
        var generator = SeededGenerator(seed: seed)
        var rows: [Row] = []
        var pooled: [Int: (counts: [String: OpenSetCounts], draws: Int, thresholds: [Double])] = [:]
        for test in folds {
            let calibration = folds.filter { $0 != test }
            guard let fit = ImpostorTailFit.fit(ImpostorScores(photos.filter { calibration.contains($0.fold) }))
            else { continue }
            let policy = IdentificationPolicy(
                targetFalseAcceptRate: targetFalseAcceptRate,
                impostorTail: fit.tail,
                margin: margin
            )
            let own = split.enrollment.filter { $0.fold == test }
            let others = split.enrollment.filter { $0.fold != test }
            let trials = OpenSetTrials(probes: photos.filter { $0.fold == test }, pool: own + others)
            for size in sizes {
                let drawCount = size == trials.pool.count ? 1 : max(draws, 1)
                var counts: [String: OpenSetCounts] = [:]
                for _ in 0..<drawCount {
                    let gallery = Self.drawGallery(
                        size: size,
                        own: own.count,
                        pool: trials.pool.count,
                        using: &generator
                    )
                    counts.merge(trials.run(gallery: gallery, policy: policy), uniquingKeysWith: +)
                }
                rows.append(
                    Self.row(
                        test: String(test),
                        calibration: calibration.map(String.init).joined(separator: "+"),
                        size: size,
                        draws: drawCount,
                        target: targetFalseAcceptRate,
                        threshold: policy.threshold(forGallerySize: size),
                        counts: counts,
                        using: &generator
                    )
                )
                var entry = pooled[size] ?? ([:], 0, [])
                entry.counts.merge(counts.map { ("\(test)/\($0.key)", $0.value) }, uniquingKeysWith: +)
                entry.draws += drawCount
                entry.thresholds.append(policy.threshold(forGallerySize: size))
                pooled[size] = entry
            }
        }
        for (size, entry) in pooled.sorted(by: { $0.key < $1.key }) {
            rows.append(
                Self.row(
                    test: "all",
                    calibration: "the others",
                    size: size,
                    draws: entry.draws,
                    target: targetFalseAcceptRate,
                    threshold: entry.thresholds.reduce(0, +) / Double(max(entry.thresholds.count, 1)),
                    counts: entry.counts,
                    using: &generator
                )
            )
        }
        return rows
    }

    /// `size` pool members: from the held-out fold's people (the pool's first `own`) first, then others.
    static func drawGallery(size: Int, own: Int, pool: Int, using generator: inout SeededGenerator) -> [Int] {
        if size <= own { return Array((0..<own).shuffled(using: &generator).prefix(size)) }
        return Array(0..<own) + Array((own..<pool).shuffled(using: &generator).prefix(size - own))
    }

    static func row(
        test: String,
        calibration: String,
        size: Int,
        draws: Int,
        target: Double,
        threshold: Double,
        counts: [String: OpenSetCounts],
        using generator: inout SeededGenerator
    ) -> Row {
        let total = counts.values.reduce(OpenSetCounts(), +)
        // In name order: a dictionary's order changes from run to run, and the bootstrap must not.
        let people = counts.sorted { $0.key < $1.key }.map(\.value)
        return Row(
            testFold: test,
            calibrationFolds: calibration,
            gallerySize: size,
            draws: draws,
            targetFalseAcceptRate: target,
            threshold: threshold,
            falseAcceptRate: personFalseAcceptRate(people),
            falseAcceptInterval: bootstrapInterval(people, using: &generator),
            photoFalseAcceptRate: total.falseAcceptRate,
            falseRejectRate: total.falseRejectRate,
            counts: total
        )
    }

    /// The mean of the people's own acceptance rates.
    static func personFalseAcceptRate(_ people: [OpenSetCounts]) -> Double {
        people.reduce(0) { $0 + $1.falseAcceptRate } / Double(max(people.count, 1))
    }

    /// The 2.5 and 97.5 percentiles of the FAR over 1,000 resamples of the people.
    static func bootstrapInterval(_ people: [OpenSetCounts], using generator: inout SeededGenerator) -> [Double] {
        guard !people.isEmpty else { return [0, 0] }
        var rates: [Double] = []
        for _ in 0..<1000 {
            let sample = people.indices.map { _ in people[Int.random(in: 0..<people.count, using: &generator)] }
            rates.append(personFalseAcceptRate(sample))
        }
        rates.sort()
        return [rates[25], rates[974]]
    }
}
