public import FaceMatrixCore
import Foundation

/// What the pipeline found in one photo.
public struct FaceAnalysis: Sendable {
    /// Size of the upright photo in pixels.
    public var imageWidth: Int
    public var imageHeight: Int
    /// The main face first, then the others, largest first.
    public var faces: [AnalyzedFace]
    public var timings: StageTimings

    public init(imageWidth: Int, imageHeight: Int, faces: [AnalyzedFace], timings: StageTimings) {
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.faces = faces
        self.timings = timings
    }
}

public struct AnalyzedFace: Sendable {
    public var detection: DetectedFace
    public var quality: FaceQuality
    public var embedding: Embedding?

    public init(detection: DetectedFace, quality: FaceQuality, embedding: Embedding?) {
        self.detection = detection
        self.quality = quality
        self.embedding = embedding
    }
}

/// Wall time of each pipeline stage for one photo.
public struct StageTimings: Sendable, Equatable {
    public var decode: Duration = .zero
    public var pnet: Duration = .zero
    public var rnet: Duration = .zero
    public var onet: Duration = .zero
    public var align: Duration = .zero
    public var embed: Duration = .zero
    public var total: Duration = .zero

    public init() {}

    /// Milliseconds per stage, keyed as the API reports them.
    public var milliseconds: [String: Double] {
        [
            "decode": decode.milliseconds, "pnet": pnet.milliseconds, "rnet": rnet.milliseconds,
            "onet": onet.milliseconds, "align": align.milliseconds, "embed": embed.milliseconds,
            "total": total.milliseconds,
        ]
    }
}

extension Duration {
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
