import FaceMatrixCore
import Foundation

/// What is stored about a face besides its embedding.
struct FaceMetadata: Codable {
    let detection: DetectedFace
    let quality: FaceQuality

    init(_ face: EnrolledFace) {
        detection = face.detection
        quality = face.quality
    }

    func json() throws -> String {
        String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> FaceMetadata {
        try JSONDecoder().decode(FaceMetadata.self, from: Data(text.utf8))
    }

    func enrolledFace(embedding: Embedding) -> EnrolledFace {
        EnrolledFace(embedding: embedding, detection: detection, quality: quality)
    }
}

extension Embedding {
    /// pgvector's text form, `[x1,x2,…]`.
    var pgvectorText: String { "[" + values.map { "\($0)" }.joined(separator: ",") + "]" }

    init?(pgvectorText text: String) {
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        let values = trimmed.split(separator: ",").compactMap { Float($0) }
        guard !values.isEmpty else { return nil }
        self.init(unitValues: values)
    }
}

/// A short, stable (FNV-1a) hash for naming per-model database objects.
func stableHash(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}
