import Foundation
import SwiftCSV

/// The people of a photo folder to enrol, read either from `labels.csv` (columns `file` and `identity`; `name`,
/// `birthdate` and `email` optional) or from one sub-folder per person (the folder's name is the identity), with an
/// optional `people.csv` (`identity`, and `name`, `birthdate`, `email`) beside the sub-folders.
struct EnrollmentFolder {
    struct Person {
        /// The key that groups photos: the label or the sub-folder's name.
        let identity: String
        /// As enrolled: the `name` column, or the identity made readable ("barack_obama" → "Barack Obama").
        let name: String
        let birthdate: String?
        let email: String?
        /// Paths relative to the folder, in name order, so the first photo (the one that creates the user) is
        /// the same on every run.
        let photos: [String]
    }

    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp", "heic", "heif", "avif"]

    let root: URL
    /// In identity order.
    let people: [Person]
    /// Rows or files that could not be used, with why (group photos and photos without a face are not people).
    let skipped: [String]

    var photoCount: Int { people.reduce(0) { $0 + $1.photos.count } }

    init(root: URL) throws {
        self.root = root
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Problem(description: "\(root.path) is not a folder")
        }
        let labels = root.appendingPathComponent("labels.csv")
        if FileManager.default.fileExists(atPath: labels.path) {
            (people, skipped) = try Self.fromLabels(labels)
        } else {
            (people, skipped) = try Self.fromSubfolders(root)
        }
        guard !people.isEmpty else {
            throw Problem(
                description:
                    "\(root.path) holds no labelled photos: give it a labels.csv (file,identity) or one sub-folder of photos per person"
            )
        }
    }

    /// Details per identity from a CSV with an `identity` column; empty values count as absent.
    private struct Details {
        var name: String?
        var birthdate: String?
        var email: String?

        init(_ row: [String: String]) {
            func value(_ key: String) -> String? {
                guard let raw = row[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
                return raw
            }
            name = value("name")
            birthdate = value("birthdate")
            email = value("email")
        }
    }

    private static func table(_ url: URL, requiring columns: [String]) throws -> CSV<Named> {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw Problem(description: "cannot read \(url.path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Problem(description: "\(url.path) is not UTF-8 text; save it as UTF-8")
        }
        let table: CSV<Named>
        do {
            table = try CSV<Named>(string: text, delimiter: .comma)
        } catch {
            throw Problem(description: "\(url.path) is not valid CSV: \(error)")
        }
        let missing = columns.filter { !table.header.contains($0) }
        guard missing.isEmpty else {
            throw Problem(
                description: "\(url.path) needs the columns \(columns.joined(separator: ", ")); found \(table.header)"
            )
        }
        return table
    }

    private static func fromLabels(_ url: URL) throws -> ([Person], [String]) {
        let table = try table(url, requiring: ["file", "identity"])
        var photos: [String: [String]] = [:]
        var details: [String: Details] = [:]
        var seen: Set<String> = []
        var skipped: [String] = []
        for (index, row) in table.rows.enumerated() {
            let line = index + 2
            let file = (row["file"] ?? "").trimmingCharacters(in: .whitespaces)
            let identity = (row["identity"] ?? "").trimmingCharacters(in: .whitespaces)
            guard !file.isEmpty, !identity.isEmpty else {
                skipped.append("labels.csv line \(line): no file or identity")
                continue
            }
            // `none` marks a photo without a face, `multiple` a group photo and `a;b` two named people: none of
            // them is one person's portrait.
            guard identity != "none", identity != "multiple", !identity.contains(";") else {
                skipped.append("labels.csv line \(line): \(file) is not one person's photo (\(identity))")
                continue
            }
            guard seen.insert(file).inserted else {
                skipped.append("labels.csv line \(line): \(file) is listed before")
                continue
            }
            photos[identity, default: []].append(file)
            // The first row that gives a detail wins; a later row that says otherwise is reported.
            let given = Details(row)
            var known = details[identity] ?? Details([:])
            for (label, path) in [("name", \Details.name), ("birthdate", \.birthdate), ("email", \.email)] {
                guard let value = given[keyPath: path] else { continue }
                if let kept = known[keyPath: path], kept != value {
                    skipped.append(
                        "labels.csv line \(line): \(label) '\(value)' differs from '\(kept)' given before; kept"
                    )
                } else {
                    known[keyPath: path] = value
                }
            }
            details[identity] = known
        }
        let people = photos.keys.sorted().map { identity in
            person(identity, photos: photos[identity] ?? [], details: details[identity])
        }
        return (people, skipped)
    }

    private static func fromSubfolders(_ root: URL) throws -> ([Person], [String]) {
        let manager = FileManager.default
        var details: [String: Details] = [:]
        var skipped: [String] = []
        let peopleFile = root.appendingPathComponent("people.csv")
        if manager.fileExists(atPath: peopleFile.path) {
            for (index, row) in try table(peopleFile, requiring: ["identity"]).rows.enumerated() {
                guard let identity = row["identity"]?.trimmingCharacters(in: .whitespaces), !identity.isEmpty else {
                    continue
                }
                // As in labels.csv, the first row of a person counts.
                guard details[identity] == nil else {
                    skipped.append(
                        "people.csv line \(index + 2): \(identity) is listed before; only the first row counts"
                    )
                    continue
                }
                details[identity] = Details(row)
            }
        }
        var people: [Person] = []
        let entries = (try? manager.contentsOfDirectory(atPath: root.path)) ?? []
        for entry in entries.sorted() where !entry.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            let folder = root.appendingPathComponent(entry)
            guard manager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                continue
            }
            let files = ((try? manager.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
                .filter { !$0.hasPrefix(".") }
            let photos = files.filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            for other in files where !photos.contains(other) {
                skipped.append("\(entry)/\(other): not a photo (by its extension)")
            }
            if !photos.isEmpty {
                people.append(person(entry, photos: photos.map { "\(entry)/\($0)" }, details: details[entry]))
            }
        }
        return (people, skipped)
    }

    private static func person(_ identity: String, photos: [String], details: Details?) -> Person {
        Person(
            identity: identity,
            name: details?.name ?? readableName(identity),
            birthdate: details?.birthdate,
            email: details?.email,
            photos: photos.sorted()
        )
    }

    /// "barack_obama" → "Barack Obama", "Aaron_Peirsol" → "Aaron Peirsol": underscores become spaces and an
    /// all-lower-case label is capitalised word by word.
    static func readableName(_ identity: String) -> String {
        let spaced = identity.replacingOccurrences(of: "_", with: " ")
        return spaced == spaced.lowercased() ? spaced.capitalized : spaced
    }
}
