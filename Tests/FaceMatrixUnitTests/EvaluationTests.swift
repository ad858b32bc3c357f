import FaceMatrixCore
import FaceMatrixEvaluation
import Foundation
import Testing

@Suite struct ImpostorTailFitTests {
    @Test func recoversAnExponentialTail() throws {
        // Scores whose tail is exactly r(t) = exp(−(t − 0.08) / 0.04): quantiles of that law.
        let count = 200_000
        let scores = (0..<count).map { index in 0.08 + 0.04 * log(Double(count) / (Double(index) + 0.5)) }
        let fit = try #require(ImpostorTailFit.fit(ImpostorScores(scores: scores)))
        #expect(abs(fit.tail.location - 0.08) < 0.003)
        #expect(abs(fit.tail.scale - 0.04) < 0.001)
        #expect(fit.points.count == 25)
        #expect(fit.points.allSatisfy { abs($0.residual) < 0.005 })
        // 20 exceedances at least under the lowest point.
        #expect(abs(fit.lowestRate - 20.0 / Double(count)) < 1e-12)
    }

    @Test func aSmallSetFitsTheDecadeItCanMeasure() throws {
        let scores = (0..<1000).map { index in 0.1 + 0.05 * log(1000 / (Double(index) + 0.5)) }
        let fit = try #require(ImpostorTailFit.fit(ImpostorScores(scores: scores)))
        #expect(abs(fit.lowestRate - 0.02) < 1e-12 && abs(fit.highestRate - 0.2) < 1e-12)
        #expect(abs(fit.tail.scale - 0.05) < 0.003)
    }

    @Test func tooFewPairsGiveNoFitInsteadOfACrash() {
        #expect(ImpostorTailFit.fit(ImpostorScores(scores: [])) == nil)
        #expect(ImpostorTailFit.fit(ImpostorScores(scores: [0.1, 0.2, 0.3])) == nil)
        #expect(ImpostorTailFit.fit(ImpostorScores(scores: (0..<399).map { Double($0) / 399 })) == nil)
        #expect(ImpostorTailFit.fit(ImpostorScores(scores: Array(repeating: 0.2, count: 10_000))) == nil)
    }
}

@Suite struct AccuracyEvaluationTests {
    /// `people` identities, each a random direction, with `photos` noisy photos each.
    static func photos(people: Int, photos: Int, noise: Float, seed: UInt64) -> [EmbeddedPhoto] {
        var generator = SeededGenerator(seed: seed)
        let quality = FaceQuality(
            confidence: 1,
            faceSize: 100,
            interocularDistance: 40,
            sharpness: 100,
            roll: 0,
            yaw: 0,
            frontalScore: 1
        )
        return (0..<people).flatMap { person in
            let center = (0..<32).map { _ in Float.random(in: -1...1, using: &generator) }
            return (0..<photos).compactMap { photo -> EmbeddedPhoto? in
                let values = center.map { $0 + noise * Float.random(in: -1...1, using: &generator) }
                guard let embedding = Embedding(normalizing: values) else { return nil }
                return EmbeddedPhoto(
                    path: "images/p\(person)/\(photo).jpg",
                    identity: "p\(person)",
                    fold: person % 3 + 1,
                    embedding: embedding,
                    quality: quality
                )
            }
        }
    }

    static func folder(labels: String, pairs: String? = nil) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("facematrix-eval-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try labels.write(to: root.appendingPathComponent("labels.csv"), atomically: false, encoding: .utf8)
        if let pairs {
            try pairs.write(to: root.appendingPathComponent("pairs.csv"), atomically: false, encoding: .utf8)
        }
        return root
    }

    @Test func aFolderWithoutFoldsOrPairsIsSplitByNameAndSkipsBadRows() throws {
        let root = try Self.folder(
            labels: "file,identity\na.jpg,Ann\nb.jpg,Ann\nc.jpg,Bob\nbroken\nd.jpg,none\ne.jpg,multiple\n,Eve\n"
        )
        defer { try? FileManager.default.removeItem(at: root) }
        let dataset = try LabeledDataset(root: root)
        #expect(dataset.photos.map(\.path) == ["a.jpg", "b.jpg", "c.jpg"])
        #expect(dataset.pairs.isEmpty)
        #expect(dataset.skippedRows.count == 2)
        #expect(dataset.photos.allSatisfy { (1...3).contains($0.fold) })
        // A person never straddles folds, and the split is the same on every run.
        #expect(dataset.photos[0].fold == dataset.photos[1].fold)
        #expect(try LabeledDataset(root: root).photos.map(\.fold) == dataset.photos.map(\.fold))
    }

    @Test func quotedFieldsAByteOrderMarkAndRepeatedPhotosAreHandled() throws {
        let root = try Self.folder(
            labels: "\u{FEFF}\"file\",\"identity\"\r\n\"a.jpg\",\"Ann\"\r\nb.jpg,Ann\r\na.jpg,Bob\r\n",
            pairs: "file_a,file_b,same\na.jpg,b.jpg,1\na.jpg,zzz.jpg,0\na.jpg,b.jpg,yes\n"
        )
        defer { try? FileManager.default.removeItem(at: root) }
        let dataset = try LabeledDataset(root: root)
        // The repeated a.jpg under Bob would have made a "different-person" pair scoring 1.
        #expect(dataset.photos.map(\.path) == ["a.jpg", "b.jpg"])
        #expect(dataset.photos.map(\.identity) == ["Ann", "Ann"])
        #expect(dataset.pairs.count == 1)
        #expect(dataset.skippedRows.count == 3)
        #expect(dataset.skippedRows.contains { $0.hasPrefix("labels.csv line 4:") })
    }

    @Test func pairsWithoutTheirColumnsAreAClearError() throws {
        let root = try Self.folder(labels: "file,identity\na.jpg,Ann\n", pairs: "a,b,c\n1,2,3\n")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: LabeledDataset.Problem.self) { try LabeledDataset(root: root) }
    }

    @Test func labelsWithoutTheNeededColumnsAreAClearError() throws {
        let root = try Self.folder(labels: "path,name\na.jpg,Ann\n")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: LabeledDataset.Problem.self) { try LabeledDataset(root: root) }
    }

    @Test func separablePeopleAreRecognizedAtTheTargetFAR() throws {
        let photos = Self.photos(people: 150, photos: 3, noise: 0.35, seed: 1)
        let labels =
            "file,identity,fold\n" + photos.map { "\($0.path),\($0.identity),\($0.fold)" }.joined(separator: "\n")
        let root = try Self.folder(labels: labels)
        defer { try? FileManager.default.removeItem(at: root) }
        var options = AccuracyEvaluation.Options()
        options.draws = 3
        let report = try AccuracyEvaluation(dataset: try LabeledDataset(root: root), photos: photos, options: options)
            .run()
        #expect(report.people == 150)
        #expect(report.verification.source == "every pair of photos")
        #expect(report.verification.auc > 0.99)
        let pooled = report.rotatedFolds.filter { $0.testFold == "all" }
        #expect(pooled.map(\.gallerySize) == [10, 30, 100, 150])
        for row in report.rotatedFolds {
            #expect(row.falseAcceptRate >= 0 && row.falseAcceptRate <= 1)
            #expect(
                row.falseAcceptInterval[0] <= row.falseAcceptRate && row.falseAcceptRate <= row.falseAcceptInterval[1]
            )
            #expect(row.falseRejectRate < 0.1, "gallery \(row.gallerySize), fold \(row.testFold)")
        }
        // Thresholds rise with the gallery.
        #expect(zip(pooled, pooled.dropFirst()).allSatisfy { $0.threshold <= $1.threshold })
        // Half the people are enrolled in the original protocol.
        #expect(report.originalProtocol.gallerySize == 75)
        #expect(report.originalProtocol.genuineQueries == 75)
        #expect(report.originalProtocol.impostorQueries == 225)
    }

    @Test func tooFewPeopleAreAnErrorNotACrash() throws {
        let photos = Self.photos(people: 3, photos: 1, noise: 0.1, seed: 2)
        let root = try Self.folder(
            labels: "file,identity\n" + photos.map { "\($0.path),\($0.identity)" }.joined(separator: "\n")
        )
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: AccuracyEvaluation.TooLittleData.self) {
            try AccuracyEvaluation(dataset: try LabeledDataset(root: root), photos: photos).run()
        }
        #expect(throws: AccuracyEvaluation.TooLittleData.self) {
            try AccuracyEvaluation(dataset: try LabeledDataset(root: root), photos: []).run()
        }
    }

    @Test func bestAccuracyThresholdSeparatesCleanScores() {
        let scores = VerificationScores(genuine: [0.6, 0.7, 0.8], impostor: [0.1, 0.2, 0.3])
        #expect(abs(scores.bestAccuracyThreshold() - 0.45) < 1e-12)
        #expect(scores.rates(at: 0.45).accuracy == 1)
        #expect(scores.areaUnderCurve == 1)
        #expect(VerificationScores(genuine: [], impostor: []).bestAccuracyThreshold() == 0)
    }
}
