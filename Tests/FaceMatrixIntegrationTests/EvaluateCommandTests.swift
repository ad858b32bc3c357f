import FaceMatrixTestSupport
import Foundation
import Testing

/// `facematrix evaluate` on small labelled folders made from the shared LFW photos: real models, the real
/// command-line binary, folders with and without folds and pairs, and folders it must refuse without crashing.
@Suite(.serialized) struct EvaluateCommandTests {
    /// The `facematrix` binary built beside the test bundle.
    static var binary: String {
        get throws {
            let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            let candidates = [directory, directory.deletingLastPathComponent()].map {
                $0.appendingPathComponent("facematrix").path
            }
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw MissingPrerequisite("the facematrix binary is not built beside \(directory.path)")
            }
            return found
        }
    }

    /// The first `people` LFW people with at least two photos, as `labels.csv` rows (file, identity, fold).
    static func lfwRows(people: Int) throws -> [(file: String, identity: String, fold: String)] {
        let lfw = try TestData.facesDirectory().appendingPathComponent("lfw")
        let rows = try String(contentsOf: lfw.appendingPathComponent("labels.csv"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).dropFirst().map { $0.split(separator: ",").map(String.init) }
        var byPerson: [String: [[String]]] = [:]
        for row in rows { byPerson[row[1], default: []].append(row) }
        let chosen = byPerson.filter { $0.value.count >= 2 }.keys.sorted().prefix(people)
        return chosen.flatMap { byPerson[$0] ?? [] }.map { ($0[0], $0[1], $0[2]) }
    }

    /// A folder with `labels.csv` (and `pairs.csv`) whose `images` link to the shared LFW photos.
    static func folder(labels: String, pairs: String? = nil) throws -> URL {
        let root = try TestEnvironment.temporaryDirectory()
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("images"),
            withDestinationURL: try TestData.facesDirectory().appendingPathComponent("lfw/images")
        )
        try labels.write(to: root.appendingPathComponent("labels.csv"), atomically: false, encoding: .utf8)
        if let pairs {
            try pairs.write(to: root.appendingPathComponent("pairs.csv"), atomically: false, encoding: .utf8)
        }
        return root
    }

    /// Runs the command; returns its exit status, standard output and standard error.
    static func evaluate(_ arguments: [String]) throws -> (Int32, String, String) {
        var environment = ProcessInfo.processInfo.environment
        environment["FACEMATRIX_MODEL_DIR"] = TestModels.directory
        let execution = try TestEnvironment.execute(try binary, ["evaluate"] + arguments, environment: environment)
        #expect(execution.reason == .exit, "the command must exit, not die from a signal")
        return (execution.status, execution.stdout, execution.stderr)
    }

    static func report(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func aFolderWithoutFoldsOrPairsIsEvaluatedEndToEnd() throws {
        let rows = try Self.lfwRows(people: 60)
        let root = try Self.folder(
            labels: "file,identity\n" + rows.map { "\($0.file),\($0.identity)" }.joined(separator: "\n")
        )
        defer { try? FileManager.default.removeItem(at: root) }
        let reportURL = root.appendingPathComponent("report.json")
        let (status, stdout, stderr) = try Self.evaluate([
            root.path, "--report", reportURL.path, "--cache", root.appendingPathComponent("cache").path, "--draws", "2",
        ])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("\"original_protocol\""))
        let report = try Self.report(reportURL)
        #expect(report["people"] as? Int == 60)
        #expect((report["folds"] as? [Int])?.count == 3, "people split into three folds by name")
        let verification = try #require(report["verification"] as? [String: Any])
        #expect(verification["source"] as? String == "every pair of photos")
        // Real recognition, not random weights: LFW's people separate almost perfectly 1:1.
        #expect(try #require(verification["auc"] as? Double) > 0.98)
        let original = try #require(report["original_protocol"] as? [String: Any])
        #expect(original["gallery_size"] as? Int == 30)
        #expect(try #require(original["frr"] as? Double) < 0.2)
        #expect(try #require(original["far"] as? Double) < 0.1)
        // A second run reuses the cached embeddings.
        let (again, _, log) = try Self.evaluate([
            root.path, "--cache", root.appendingPathComponent("cache").path, "--draws", "2",
        ])
        #expect(again == 0)
        #expect(log.contains("reusing"))
    }

    @Test func foldsAndOfficialPairsAreUsedWhenGiven() throws {
        let rows = try Self.lfwRows(people: 45)
        let labels =
            "file,identity,lfw_fold\n" + rows.map { "\($0.file),\($0.identity),\($0.fold)" }.joined(separator: "\n")
        let byPerson = Dictionary(grouping: rows, by: \.identity)
        let people = byPerson.keys.sorted()
        let same = people.prefix(20).compactMap { person -> String? in
            guard let photos = byPerson[person], photos.count >= 2 else { return nil }
            return "\(photos[0].fold),\(photos[0].file),\(photos[1].file),1"
        }
        let different = zip(people.prefix(20), people.dropFirst(20).prefix(20)).compactMap { a, b -> String? in
            guard let first = byPerson[a]?.first, let second = byPerson[b]?.first else { return nil }
            return "\(first.fold),\(first.file),\(second.file),0"
        }
        let root = try Self.folder(
            labels: labels,
            pairs: "lfw_fold,file_a,file_b,same\n" + (same + different).joined(separator: "\n")
        )
        defer { try? FileManager.default.removeItem(at: root) }
        let reportURL = root.appendingPathComponent("report.json")
        let (status, _, stderr) = try Self.evaluate([
            root.path, "--report", reportURL.path, "--cache", root.appendingPathComponent("cache").path, "--draws", "2",
            "--target-far", "0.042",
        ])
        #expect(status == 0, "\(stderr)")
        let report = try Self.report(reportURL)
        #expect(report["folds"] as? [Int] == Array(Set(rows.compactMap { Int($0.fold) })).sorted())
        let verification = try #require(report["verification"] as? [String: Any])
        #expect(verification["source"] as? String == "pairs.csv")
        let atThreshold = try #require(verification["at_threshold"] as? [String: Any])
        #expect(atThreshold["genuine"] as? Int == same.count)
        #expect(report["target_far"] as? Double == 0.042)
    }

    @Test func unusableFoldersAreRefusedWithOneLine() throws {
        let noColumns = try Self.folder(labels: "path,name\nimages/a.jpg,A\n")
        let onePerson = try Self.folder(
            labels: "file,identity\n"
                + (try Self.lfwRows(people: 1)).map { "\($0.file),\($0.identity)" }.joined(separator: "\n")
        )
        let missingPhotos = try Self.folder(labels: "file,identity\nimages/nobody/1.jpg,A\nimages/nobody/2.jpg,B\n")
        defer { for root in [noColumns, onePerson, missingPhotos] { try? FileManager.default.removeItem(at: root) } }
        for root in [noColumns, onePerson, missingPhotos] {
            let (status, _, stderr) = try Self.evaluate([
                root.path, "--cache", root.appendingPathComponent("cache").path,
            ])
            #expect(status == 1, "\(root.path): \(stderr)")
            let lines = stderr.split(separator: "\n").filter {
                !$0.hasPrefix("embedding") && !$0.contains("photos embedded")
            }
            #expect(lines.count >= 1 && lines.allSatisfy { !$0.contains("Fatal error") })
        }
        let (status, _, stderr) = try Self.evaluate(["/nonexistent-folder"])
        #expect(status == 1 && stderr.contains("labels.csv"))
        // An output that cannot be written is refused before any photo is embedded.
        let (refused, _, reason) = try Self.evaluate([onePerson.path, "--report", "/nonexistent/dir/report.json"])
        #expect(refused != 0 && reason.contains("/nonexistent/dir does not exist") && !reason.contains("embedding"))
    }

    @Test func missingAndBrokenPhotosAreNamedAndAPlotNeedsNoReport() throws {
        let rows = try Self.lfwRows(people: 40)
        let labels =
            "file,identity\n" + rows.map { "\($0.file),\($0.identity)" }.joined(separator: "\n")
            + "\nimages/nobody/1.jpg,Nobody\nlabels.csv,Text\n"
        let root = try Self.folder(labels: labels)
        defer { try? FileManager.default.removeItem(at: root) }
        let plot = root.appendingPathComponent("plot.png")
        let (status, stdout, stderr) = try Self.evaluate([
            root.path, "--cache", root.appendingPathComponent("cache").path, "--draws", "1", "--plot", plot.path,
        ])
        #expect(status == 0, "\(stderr)")
        #expect(stderr.contains("1 photos missing or unreadable: images/nobody/1.jpg"))
        #expect(stderr.contains("1 photos not a usable image: labels.csv"))
        #expect(stdout.contains("\"original_protocol\""))
        #expect(FileManager.default.fileExists(atPath: plot.path))
    }
}
