public import FaceMatrixCore
import Foundation

/// What the pipeline found in one photo.
public struct FaceAnalysis: Sendable {
    /// Width of the upright photo (EXIF orientation applied) in pixels, at full size.
    public var imageWidth: Int
    /// Height of the upright photo (EXIF orientation applied) in pixels, at full size.
    public var imageHeight: Int
    /// The main face first, then the others, largest first.
    public var faces: [AnalyzedFace]
    /// How long each stage took for this photo.
    public var timings: StageTimings

    /// Creates a result from its parts; `faces` is expected in main-face-first order.
    public init(imageWidth: Int, imageHeight: Int, faces: [AnalyzedFace], timings: StageTimings) {
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.faces = faces
        self.timings = timings
    }
}

/// One face found in a photo: where it is, how usable it is for recognition, and its embedding when asked for.
public struct AnalyzedFace: Sendable {
    /// Box, detector confidence (0…1) and five landmarks, in pixels of the upright full-size photo.
    public var detection: DetectedFace
    /// Size, sharpness and pose signals, with sizes in pixels of the upright full-size photo.
    public var quality: FaceQuality
    /// The L2-normalised embedding; nil when the request's `FacePipeline.EmbeddingScope` did not cover this face.
    public var embedding: Embedding?

    /// Creates a face result from its parts.
    public init(detection: DetectedFace, quality: FaceQuality, embedding: Embedding?) {
        self.detection = detection
        self.quality = quality
        self.embedding = embedding
    }
}

/// Wall time of each pipeline stage for one photo.
public struct StageTimings: Sendable, Equatable {
    /// Decoding, EXIF orientation and reduction to the working image.
    public var decode: Duration = .zero
    /// MTCNN stage 1: summed-area table, image pyramid, P-Net and its NMS.
    public var pnet: Duration = .zero
    /// MTCNN stage 2: 24 × 24 crops, R-Net and its NMS.
    public var rnet: Duration = .zero
    /// MTCNN stage 3: 48 × 48 crops, O-Net, landmarks and the final NMS.
    public var onet: Duration = .zero
    /// Cutting out the aligned crop of every face found.
    public var align: Duration = .zero
    /// The embedder's run over the faces in the embedding scope.
    public var embed: Duration = .zero
    /// The whole analysis, including the work between stages (face ordering, quality signals).
    public var total: Duration = .zero

    /// All stages at zero.
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
    /// The duration in milliseconds, fractional part included.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
