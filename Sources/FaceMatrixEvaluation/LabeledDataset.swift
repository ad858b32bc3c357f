public import Foundation

/// A folder of labelled photos: `labels.csv` (columns `file`, `identity` and optionally a fold, e.g. `lfw_fold`)
/// and optionally `pairs.csv` (`[fold,]file_a,file_b,same`, the official 1:1 pairs of LFW-style sets).
///
/// Folds split the people for calibration and held-out testing. Without a fold column every identity is put in
/// one of three folds by a hash of its name, so the split is the same on every run and a person never straddles
/// two folds.
public struct LabeledDataset: Sendable {
    /// One labelled photo.
    public struct Photo: Sendable, Hashable {
        /// Relative to the dataset's root, as written in `labels.csv`.
        public let path: String
        /// The person, as labelled in `labels.csv`.
        public let identity: String
        /// The fold column's number, or 1–3 by a hash of `identity` when there is none.
        public let fold: Int
    }

    /// One official 1:1 pair from `pairs.csv`.
    public struct Pair: Sendable {
        /// The pair's fold; 0 when `pairs.csv` has no fold column or the value is not a number.
        public let fold: Int
        /// Path of the first photo, as in `labels.csv`.
        public let first: String
        /// Path of the second photo, as in `labels.csv`.
        public let second: String
        /// Whether both photos show the same person (`same` is 1 or true).
        public let samePerson: Bool
    }

    /// A dataset that cannot be read: a file missing or unreadable, or a required column absent.
    public struct Problem: Error, CustomStringConvertible {
        /// What is wrong, naming the file.
        public let description: String
    }

    /// The folder holding `labels.csv`, the optional `pairs.csv` and the photos.
    public let root: URL
    /// Photos in path order; rows naming no identity, and those that name `none` or `multiple` (no face, a group
    /// photo), are left out.
    public let photos: [Photo]
    /// The official pairs, in file order; empty without `pairs.csv`.
    public let pairs: [Pair]
    /// Rows of `labels.csv` and `pairs.csv` that could not be read, with why.
    public let skippedRows: [String]

    /// Reads `labels.csv` and, when present, `pairs.csv`; rows that cannot be used go to `skippedRows`.
    ///
    /// - Throws: `Problem` when a file cannot be read or lacks a required column.
    public init(root: URL) throws {
        self.root = root
        var skipped: [String] = []
        let labels = try CSVTable(url: root.appendingPathComponent("labels.csv"))
        guard let fileColumn = labels.column(named: "file"), let identityColumn = labels.column(named: "identity")
        else {
            throw Problem(
                description: "\(root.path)/labels.csv needs the columns file and identity, found \(labels.header)"
            )
        }
        let foldColumn = labels.header.firstIndex { $0.lowercased().contains("fold") }
        var photos: [Photo] = []
        var seen: Set<String> = []
        for (line, row) in labels.rows {
            guard row.count > max(fileColumn, identityColumn), !row[fileColumn].isEmpty, !row[identityColumn].isEmpty
            else {
                skipped.append("labels.csv line \(line): missing file or identity")
                continue
            }
            let identity = row[identityColumn]
            if identity == "none" || identity == "multiple" { continue }
            // A photo listed twice would pair with itself: as a same-person pair scoring 1, or worse, as a
            // different-person pair scoring 1.
            guard seen.insert(row[fileColumn]).inserted else {
                skipped.append(
                    "labels.csv line \(line): \(row[fileColumn]) is listed before; only the first row counts"
                )
                continue
            }
            var fold = Self.hashFold(identity)
            if let foldColumn, foldColumn < row.count, !row[foldColumn].isEmpty {
                if let number = Int(row[foldColumn]) {
                    fold = number
                } else {
                    skipped.append("labels.csv line \(line): fold '\(row[foldColumn])' is not a number; hashed instead")
                }
            }
            photos.append(Photo(path: row[fileColumn], identity: identity, fold: fold))
        }
        self.photos = photos.sorted { $0.path < $1.path }
        var pairs: [Pair] = []
        let pairsURL = root.appendingPathComponent("pairs.csv")
        if FileManager.default.fileExists(atPath: pairsURL.path) {
            pairs = try Self.pairs(pairsURL, photos: seen, skipped: &skipped)
        }
        self.pairs = pairs
        self.skippedRows = skipped
    }

    /// The official pairs: rows naming photos of `labels.csv` with `same` 1/0 (or true/false).
    static func pairs(_ url: URL, photos: Set<String>, skipped: inout [String]) throws -> [Pair] {
        let table = try CSVTable(url: url)
        guard let first = table.column(named: "file_a"), let second = table.column(named: "file_b"),
            let same = table.column(named: "same")
        else {
            throw Problem(description: "\(url.path) needs the columns file_a, file_b and same, found \(table.header)")
        }
        let fold = table.header.firstIndex { $0.lowercased().contains("fold") }
        var pairs: [Pair] = []
        for (line, row) in table.rows {
            guard row.count > max(first, second, same) else {
                skipped.append("pairs.csv line \(line): too few columns")
                continue
            }
            let verdict: Bool
            switch row[same].lowercased() {
            case "1", "true": verdict = true
            case "0", "false": verdict = false
            default:
                skipped.append("pairs.csv line \(line): same must be 1 or 0, got '\(row[same])'")
                continue
            }
            guard photos.contains(row[first]), photos.contains(row[second]) else {
                skipped.append("pairs.csv line \(line): a photo that labels.csv does not list")
                continue
            }
            pairs.append(
                Pair(
                    fold: fold.flatMap { $0 < row.count ? Int(row[$0]) : nil } ?? 0,
                    first: row[first],
                    second: row[second],
                    samePerson: verdict
                )
            )
        }
        return pairs
    }

    /// Where a photo's file is: its path is relative to the folder, unless it is absolute.
    public func url(of photo: Photo) -> URL {
        photo.path.hasPrefix("/") ? URL(fileURLWithPath: photo.path) : root.appendingPathComponent(photo.path)
    }

    /// The distinct folds, ascending.
    public var folds: [Int] { Array(Set(photos.map(\.fold))).sorted() }
    /// The distinct people.
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

/// A comma-separated file with a header row. Fields may be wrapped in double quotes (without commas inside, which
/// paths and names here never have); a UTF-8 byte-order mark is ignored.
struct CSVTable {
    let header: [String]
    /// Non-blank rows with their line numbers in the file (the header is line 1).
    let rows: [(line: Int, fields: [String])]

    init(url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw LabeledDataset.Problem(description: "cannot read \(url.path)")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .filter { !$0.element.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { (line: $0.offset + 1, fields: Self.fields($0.element)) }
        header = lines.first?.fields ?? []
        rows = Array(lines.dropFirst())
    }

    static func fields(_ line: Substring) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { field in
            var value = field.trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
    }

    func column(named name: String) -> Int? { header.firstIndex { $0.lowercased() == name } }
}
