public import FaceInference
public import FaceMatrixCore
import Foundation
public import ImageDecoding

/// From the bytes of an uploaded photo to the faces in it, each with quality signals and, when asked for, an
/// embedding: decode → detect (MTCNN) → align → embed.
public struct FaceAnalysisPipeline: Sendable {
    /// Decodes the upload; its limits bound the bytes and pixels accepted.
    public let decoder: ImageDecoder
    /// Finds faces and their five landmarks on the working image.
    public let detector: MTCNNDetector
    /// Cuts each face out at the embedder's input size.
    public let aligner: FaceAligner
    /// Turns aligned crops into embeddings.
    public let embedder: FaceEmbedder
    /// The embedder's name from its manifest: which model the embeddings come from.
    public let modelName: String
    /// The embedder's version from its manifest.
    public let modelVersion: String
    /// The embedder's calibrated decision thresholds from its manifest; nil for an uncalibrated model.
    public let thresholds: MatchThresholds?
    /// Photos larger than this (longer side) are decoded at 1/2, 1/4 or 1/8 size when the format allows it, which
    /// keeps decoding and detection fast; faces are still reported in the photo's own pixels. 12…2048.
    public private(set) var maximumWorkingSide: Int

    /// Which of the faces found get an embedding; the others get detection and quality only.
    public enum EmbeddingScope: Sendable {
        /// No embeddings (the embedder is not run).
        case none
        /// Only the main face (see `FaceAnalysis.faces`), the one a recognition request is about.
        case main
        /// The first `n` faces in main-face order: the most prominent ones, for a group photo.
        case first(Int)
        /// Every face found.
        case all
    }

    /// Assembles a pipeline from its parts.
    ///
    /// - Parameter maximumWorkingSide: Pixels, clamped to 12…`largestWorkingSide`.
    public init(
        decoder: ImageDecoder,
        detector: MTCNNDetector,
        aligner: FaceAligner,
        embedder: FaceEmbedder,
        modelName: String,
        modelVersion: String,
        thresholds: MatchThresholds? = nil,
        maximumWorkingSide: Int = 1280
    ) {
        self.thresholds = thresholds
        self.decoder = decoder
        self.detector = detector
        self.aligner = aligner
        self.embedder = embedder
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.maximumWorkingSide = min(max(maximumWorkingSide, 12), Self.largestWorkingSide)
    }

    /// The largest `maximumWorkingSide` accepted: a working image of up to (2 × 2048)² pixels keeps the summed-area
    /// table's sums within 32 bits (see `reductionFactor`).
    public static let largestWorkingSide = 2048

    /// Builds the pipeline for the models in `models`, run by `backend`.
    ///
    /// - Throws: `ModelLoadingError.incompatible` when the embedder manifest lacks its crop or embedding section or
    ///   its crop is malformed; `ModelLoadingError.unsupported` for a crop method, margin unit, channel order or
    ///   layout the pipeline does not implement.
    public init(
        models: FaceModels,
        backend: any InferenceBackend,
        imageLimits: ImageLimits = ImageLimits(),
        detection: MTCNNConfiguration = MTCNNConfiguration(),
        maximumWorkingSide: Int = 1280
    ) throws(ModelLoadingError) {
        let embedder = models.embedder
        guard let crop = embedder.crop, let embedding = embedder.embedding else {
            throw .incompatible("the embedder manifest has no crop or embedding section")
        }
        self.init(
            decoder: ImageDecoder(limits: imageLimits),
            detector: MTCNNDetector(backend: backend, configuration: detection),
            aligner: try FaceAligner(crop: crop),
            embedder: FaceEmbedder(
                backend: backend,
                normalization: try ChannelNormalization(embedder.preprocessing),
                dimension: embedding.size,
                inputName: embedder.inputs?.first?.name ?? "input",
                outputName: embedder.outputs?.first?.name ?? "embedding"
            ),
            modelName: embedder.name,
            modelVersion: embedder.version,
            thresholds: embedder.thresholds,
            maximumWorkingSide: maximumWorkingSide
        )
    }

    /// Analyses a photo; a photo without faces is not an error here (the result has no faces).
    ///
    /// - Parameters:
    ///   - bytes: The uploaded file: JPEG, PNG, WebP or HEIF.
    ///   - scope: Which faces get an embedding, counted in main-face-first order.
    /// - Returns: The faces, main face first, in pixels of the upright full-size photo, and the stage timings.
    /// - Throws: `FaceMatrixError.invalidImage` / `.imageTooLarge` for unusable bytes (see
    ///   `FaceMatrixError.init(_:)`) or a working image too large to analyse; `InferenceError` or the backend's own
    ///   error when a network fails.
    public func analyze(_ bytes: [UInt8], embedding scope: EmbeddingScope = .main) async throws -> FaceAnalysis {
        let clock = ContinuousClock()
        var timings = StageTimings()
        let started = clock.now

        let decoded: DecodedImage
        do {
            decoded = try decoder.decode(bytes, maxWorkingSide: maximumWorkingSide)
        } catch {
            throw FaceMatrixError(error)
        }
        // Formats without scaled decoding (PNG) or very large JPEGs are brought near the working size here. The
        // factor rounds up, so the working image's longer side is at most twice the working side whatever the
        // photo's size or aspect ratio: that bound is what keeps every later stage (the summed-area table above
        // all) within its limits.
        let reduction = Self.reductionFactor(
            width: decoded.image.width,
            height: decoded.image.height,
            maximumWorkingSide: maximumWorkingSide
        )
        let working = decoded.image.reduced(by: reduction)
        let workingScale = decoded.decodeScale / Double(reduction)
        timings.decode = clock.now - started

        let (found, detectorTimings) = try await detector.detect(in: working)
        let detections = Self.mainFaceFirst(found, imageWidth: working.width, imageHeight: working.height)
        timings.pnet = detectorTimings.pnet
        timings.rnet = detectorTimings.rnet
        timings.onet = detectorTimings.onet

        var stageStart = clock.now
        let aligned = detections.map { aligner.align($0, in: working) }
        timings.align = clock.now - stageStart

        stageStart = clock.now
        let toEmbed =
            switch scope {
            case .none: 0
            case .main: min(1, aligned.count)
            case .first(let count): min(max(count, 0), aligned.count)
            case .all: aligned.count
            }
        let embeddings = try await embedder.embed(Array(aligned.prefix(toEmbed)))
        timings.embed = clock.now - stageStart

        // Everything found on the (possibly scaled) working image is reported in the photo's own pixels.
        let toPhoto = 1 / workingScale
        let faces = detections.enumerated().map { index, detection in
            AnalyzedFace(
                detection: detection.scaled(by: toPhoto),
                // The detection is in working-image pixels; the quality minimums are in the photo's.
                quality: FaceQualityEstimator.quality(of: detection, aligned: aligned[index], scale: workingScale),
                embedding: index < embeddings.count ? embeddings[index] : nil
            )
        }
        timings.total = clock.now - started
        let uprightSwapped = decoded.exifOrientation >= 5
        return FaceAnalysis(
            imageWidth: uprightSwapped ? decoded.originalHeight : decoded.originalWidth,
            imageHeight: uprightSwapped ? decoded.originalWidth : decoded.originalHeight,
            faces: faces,
            timings: timings
        )
    }
}

extension FaceAnalysisPipeline {
    /// The whole-pixel factor that brings the longer side to at most 2 × `maximumWorkingSide` (1 when it already
    /// is). Halving at most once more than needed keeps enough resolution for small faces.
    static func reductionFactor(width: Int, height: Int, maximumWorkingSide: Int) -> Int {
        let longSide = max(width, height, 1)
        let allowed = 2 * max(maximumWorkingSide, 1)
        return max(1, (longSide + allowed - 1) / allowed)
    }

    /// Moves the photo's main face to the front: the one with the largest visible area, less a penalty for its
    /// distance from the centre (twice the squared offset, in pixels², as InsightFace ranks faces). The person a
    /// camera or a portrait is about is big and central; a bystander cut by the edge can have a larger box while
    /// showing less face.
    static func mainFaceFirst(_ faces: [DetectedFace], imageWidth: Int, imageHeight: Int) -> [DetectedFace] {
        guard faces.count > 1 else { return faces }
        let center = Point(x: Double(imageWidth) / 2, y: Double(imageHeight) / 2)
        let score = { (face: DetectedFace) -> Double in
            let box = face.box
            let visibleWidth = min(box.maxX, Double(imageWidth)) - max(box.x, 0)
            let visibleHeight = min(box.maxY, Double(imageHeight)) - max(box.y, 0)
            let offset = box.center.distance(to: center)
            return max(0, visibleWidth) * max(0, visibleHeight) - 2 * offset * offset
        }
        guard let main = faces.indices.max(by: { score(faces[$0]) < score(faces[$1]) }) else { return faces }
        var ordered = faces
        ordered.insert(ordered.remove(at: main), at: 0)
        return ordered
    }
}
