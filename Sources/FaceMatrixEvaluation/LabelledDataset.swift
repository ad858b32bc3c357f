public import Foundation

/// A folder of labelled photos: `labels.csv` (columns `file`, `identity` and optionally a fold, e.g. `lfw_fold`)
/// and optionally `pairs.csv` (`[fold,]file_a,file_b,same`, the official 1:1 pairs of LFW-style sets).
///
/// Folds split the people for calibration and held-out testing. Without a fold column every identity is put in
/// one of three folds by a hash of its name, so the split is the same on every run and a person never straddles
/// two folds.
public struct LabelledDataset: Sendable {
    public struct Photo: Sendable, Hashable {
        /// Relative to the dataset's root, as written in `labels.csv`.
        public let path: String
        public let identity: String
        public let fold: Int
    }

    public struct Pair: Sendable {
        public let fold: Int
        public let first: String
        public let second: String
        public let samePerson: Bool
    }

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public let root: URL
    /// Photos in path order; rows naming no identity, and those that name `none` or `multiple` (no face, a group
    /// photo), are left out.
    public let photos: [Photo]
    public let pairs: [Pair]
    /// Rows of `labels.csv` and `pairs.csv` that could not be read, with why.
    public let skippedRows: [String]

    public init(root: URL) throws {
        self.root = root
        var skipped: [String] = []
        let labels = try CSVTable(url: root.appendingPathComponent("labels.csv"))
        guard let fileColumn = labels.column(named: "file"), let identityColumn = labels.column(named: "identity")
        else {
            throw Problem(description: "\(root.path)/labels.csv needs the columns file and identity")
        }
        let foldColumn = labels.header.firstIndex { $0.lowercased().contains("fold") }
        var photos: [Photo] = []
        for (number, row) in labels.rows.enumerated() {
            guard row.count > max(fileColumn, identityColumn), !row[fileColumn].isEmpty, !row[identityColumn].isEmpty
            else {
                skipped.append("labels.csv row \(number + 2): missing file or identity")
                continue
            }
            let identity = row[identityColumn]
            if identity == "none" || identity == "multiple" { continue }
            let fold = foldColumn.flatMap { $0 < row.count ? Int(row[$0]) : nil } ?? Self.hashFold(identity)
            photos.append(Photo(path: row[fileColumn], identity: identity, fold: fold))
        }
        self.photos = photos.sorted { $0.path < $1.path }
        let pairsURL = root.appendingPathComponent("pairs.csv")
        var pairs: [Pair] = []
        if FileManager.default.fileExists(atPath: pairsURL.path) {
            let table = try CSVTable(url: pairsURL)
            let fold = table.header.firstIndex { $0.lowercased().contains("fold") }
            let first = table.column(named: "file_a") ?? 0
            let second = table.column(named: "file_b") ?? 1
            let same = table.column(named: "same") ?? 2
            for (number, row) in table.rows.enumerated() {
                guard row.count > max(first, second, same) else {
                    skipped.append("pairs.csv row \(number + 2): too few columns")
                    continue
                }
                pairs.append(
                    Pair(
                        fold: fold.flatMap { $0 < row.count ? Int(row[$0]) : nil } ?? 0, first: row[first],
                        second: row[second], samePerson: row[same] == "1" || row[same].lowercased() == "true"))
            }
        }
        self.pairs = pairs
        self.skippedRows = skipped
    }

    public var folds: [Int] { Array(Set(photos.map(\.fold))).sorted() }
    public var identities: Set<String> { Set(photos.map(\.identity)) }

    /// A stable fold (1…3) from an identity's name: FNV-1a, so it never changes between runs or machines.
    static func hashFold(_ identity: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in identity.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(hash % 3) + 1
    }
}

/// A comma-separated file with a header row. Fields are not quoted in the files this reads (paths and names).
struct CSVTable {
    let header: [String]
    let rows: [[String]]

    init(url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw LabelledDataset.Problem(description: "cannot read \(url.path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        }
        header = lines.first ?? []
        rows = Array(lines.dropFirst())
    }

    func column(named name: String) -> Int? { header.firstIndex { $0.lowercased() == name } }
}
