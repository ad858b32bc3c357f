public import Foundation

/// The shared LFW folds: photos with identities and folds, and the official verification pairs.
public struct LFWDataset: Sendable {
    public struct Photo: Sendable {
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

    public let root: URL
    public let photos: [Photo]
    public let pairs: [Pair]

    public init(root: URL) throws {
        self.root = root
        self.photos = try Self.rows(root.appendingPathComponent("labels.csv")).map {
            Photo(path: $0[0], identity: $0[1], fold: Int($0[2]) ?? 0)
        }
        self.pairs = try Self.rows(root.appendingPathComponent("pairs.csv")).map {
            Pair(fold: Int($0[0]) ?? 0, first: $0[1], second: $0[2], samePerson: $0[3] == "1")
        }
    }

    private static func rows(_ url: URL) throws -> [[String]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    public var folds: [Int] { Array(Set(photos.map(\.fold))).sorted() }
}
