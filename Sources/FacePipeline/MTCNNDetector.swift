public import FaceInference
public import FaceMatrixCore
import Foundation
public import ImageDecoding

/// Multi-task cascaded face detection (Zhang et al., 2016) over three networks run by an inference backend:
/// P-Net proposes boxes on an image pyramid, R-Net rejects most of them, O-Net refines the rest and finds five
/// landmarks. Post-processing follows facenet-pytorch, whose converted weights these are, so that the networks
/// see the same inputs they were trained and validated on.
///
/// Every network takes an "input" of float32 NCHW RGB normalised as (pixel − 127.5) × 0.0078125 and answers "prob"
/// (softmax over non-face, face) and "reg" (corner offsets as fractions of the box size):
/// P-Net [1, 3, H, W] → prob [1, 2, H′, W′], reg [1, 4, H′, W′]; R-Net [N, 3, 24, 24] → prob [N, 2], reg [N, 4];
/// O-Net [N, 3, 48, 48] → prob [N, 2], reg [N, 4] and "landmarks" [N, 10] (five x, then five y).
public struct MTCNNDetector: Sendable {
    /// Runs the networks registered as "pnet", "rnet" and "onet".
    public let backend: any InferenceBackend
    /// Pyramid, thresholds and NMS settings.
    public var configuration: MTCNNConfiguration

    /// Time spent in each stage, including the image work that feeds the network.
    public struct Timings: Sendable, Equatable {
        /// Stage 1: summed-area table, pyramid, P-Net and its NMS.
        public var pnet: Duration = .zero
        /// Stage 2: 24 × 24 crops, R-Net and its NMS.
        public var rnet: Duration = .zero
        /// Stage 3: 48 × 48 crops, O-Net, landmarks and the final NMS.
        public var onet: Duration = .zero
    }

    /// Creates a detector over `backend`'s three MTCNN networks.
    public init(backend: any InferenceBackend, configuration: MTCNNConfiguration = MTCNNConfiguration()) {
        self.backend = backend
        self.configuration = configuration
    }

    /// Every face in the image, the largest first; coordinates in pixels of `image`.
    ///
    /// - Returns: The faces (none for an image under 12 pixels on a side) and the time of each stage.
    /// - Throws: `FaceMatrixError.imageTooLarge` when `image` has more pixels than its summed-area table can sum in
    ///   32 bits (about 16.8 million); `InferenceError` or the backend's own error when a network fails or lacks an
    ///   output.
    public func detect(in image: RGBImage) async throws -> (faces: [DetectedFace], timings: Timings) {
        var timings = Timings()
        let clock = ContinuousClock()
        guard image.width >= 12, image.height >= 12 else { return ([], timings) }

        var start = clock.now
        guard let integral = IntegralImage(image) else {
            throw FaceMatrixError.imageTooLarge(
                "the working image of \(image.width)×\(image.height) pixels is too large to analyse"
            )
        }
        var candidates = try await proposeCandidates(in: integral)
        timings.pnet = clock.now - start
        guard !candidates.isEmpty else { return ([], timings) }

        start = clock.now
        candidates = try await refineCandidates(candidates, in: integral)
        timings.rnet = clock.now - start
        guard !candidates.isEmpty else { return ([], timings) }

        start = clock.now
        let faces = try await finalFaces(candidates, in: integral)
        timings.onet = clock.now - start
        return (faces, timings)
    }

    // MARK: Stage 1, P-Net over the pyramid

    static let pnetStride: Float = 2
    static let pnetCellSize: Float = 12

    /// Runs P-Net over every pyramid level and returns the surviving boxes, refined by their regression and squared.
    func proposeCandidates(in image: IntegralImage) async throws -> [FaceCandidate] {
        var candidates: [FaceCandidate] = []
        for scale in configuration.pyramidScales(width: image.width, height: image.height) {
            let levelHeight = Int(Double(image.height) * scale + 1)
            let levelWidth = Int(Double(image.width) * scale + 1)
            let input = resampled(image, width: levelWidth, height: levelHeight)
            let outputs = try await backend.run(model: "pnet", inputs: ["input": input], outputs: ["reg", "prob"])
            let level = pnetCandidates(
                probabilities: try outputs.output("prob", of: "pnet"),
                regression: try outputs.output("reg", of: "pnet"),
                scale: Float(scale)
            )
            candidates += nonMaximumSuppression(
                level,
                threshold: configuration.nmsThresholds.pnetLevel,
                measure: .union
            )
        }
        return nonMaximumSuppression(candidates, threshold: configuration.nmsThresholds.pnetAll, measure: .union)
            .map { $0.refined(inclusive: false).squared() }
    }

    /// Turns P-Net's face-probability map into boxes: each cell above the threshold is a 12-pixel window at
    /// stride 2 in the scaled image, mapped back to working-image pixels.
    func pnetCandidates(probabilities: Tensor, regression: Tensor, scale: Float) -> [FaceCandidate] {
        let height = probabilities.shape[2]
        let width = probabilities.shape[3]
        let plane = height * width
        let threshold = configuration.thresholds.pnet
        var candidates: [FaceCandidate] = []
        probabilities.values.withUnsafeBufferPointer { probability in
            regression.values.withUnsafeBufferPointer { offsets in
                for y in 0..<height {
                    for x in 0..<width {
                        let index = y * width + x
                        let score = probability[plane + index]
                        guard score >= threshold else { continue }
                        let column = Float(x)
                        let row = Float(y)
                        candidates.append(
                            FaceCandidate(
                                x1: ((Self.pnetStride * column + 1) / scale).rounded(.down),
                                y1: ((Self.pnetStride * row + 1) / scale).rounded(.down),
                                x2: ((Self.pnetStride * column + Self.pnetCellSize) / scale).rounded(.down),
                                y2: ((Self.pnetStride * row + Self.pnetCellSize) / scale).rounded(.down),
                                score: score,
                                regression: (
                                    offsets[index], offsets[plane + index], offsets[2 * plane + index],
                                    offsets[3 * plane + index]
                                )
                            )
                        )
                    }
                }
            }
        }
        return candidates
    }

    // MARK: Stage 2, R-Net

    /// Runs R-Net on 24 × 24 crops of the candidates; those above its threshold survive NMS refined and squared.
    func refineCandidates(_ candidates: [FaceCandidate], in image: IntegralImage) async throws -> [FaceCandidate] {
        let (input, kept) = cropBatch(candidates, from: image, side: 24)
        guard !kept.isEmpty else { return [] }
        let outputs = try await backend.run(model: "rnet", inputs: ["input": input], outputs: ["reg", "prob"])
        let passed = try accepted(kept, by: outputs, of: "rnet", threshold: configuration.thresholds.rnet).map(\.1)
        return nonMaximumSuppression(passed, threshold: configuration.nmsThresholds.rnet, measure: .union)
            .map { $0.refined(inclusive: true).squared() }
    }

    // MARK: Stage 3, O-Net

    /// Runs O-Net on 48 × 48 crops of the candidates and returns the accepted faces with landmarks, largest first.
    func finalFaces(_ candidates: [FaceCandidate], in image: IntegralImage) async throws -> [DetectedFace] {
        let (input, kept) = cropBatch(candidates, from: image, side: 48)
        guard !kept.isEmpty else { return [] }
        let outputs = try await backend.run(
            model: "onet",
            inputs: ["input": input],
            outputs: ["reg", "landmarks", "prob"]
        )
        let landmarks = try outputs.output("landmarks", of: "onet").values
        var passed: [FaceCandidate] = []
        for (index, var candidate) in try accepted(
            kept,
            by: outputs,
            of: "onet",
            threshold: configuration.thresholds.onet
        ) {
            // Landmarks come as fractions of the (inclusive) box: x1…x5 then y1…y5.
            let width = candidate.width + 1
            let height = candidate.height + 1
            candidate.landmarks =
                (0..<5).map { width * landmarks[index * 10 + $0] + candidate.x1 - 1 }
                + (0..<5).map { height * landmarks[index * 10 + 5 + $0] + candidate.y1 - 1 }
            passed.append(candidate.refined(inclusive: true))
        }
        return nonMaximumSuppression(passed, threshold: configuration.nmsThresholds.onet, measure: .minimum)
            .filter { $0.score >= configuration.minimumConfidence }
            .map(Self.detectedFace)
            .sorted { $0.box.area > $1.box.area }
    }

    /// The candidates a refinement network rates above `threshold` (with their index in the batch), carrying the
    /// network's score and box regression.
    func accepted(_ candidates: [FaceCandidate], by outputs: [String: Tensor], of model: String, threshold: Float)
        throws -> [(Int, FaceCandidate)]
    {
        let probabilities = try outputs.output("prob", of: model).values
        let regression = try outputs.output("reg", of: model).values
        return candidates.enumerated().compactMap { index, candidate in
            guard probabilities[index * 2 + 1] > threshold else { return nil }
            var scored = candidate
            scored.score = probabilities[index * 2 + 1]
            scored.regression = (
                regression[index * 4], regression[index * 4 + 1], regression[index * 4 + 2], regression[index * 4 + 3]
            )
            return (index, scored)
        }
    }

    /// The public form of a finished candidate; landmarks in `FaceLandmarks` order (eyes, nose, mouth corners).
    static func detectedFace(_ candidate: FaceCandidate) -> DetectedFace {
        let point = { (index: Int) in
            Point(x: Double(candidate.landmarks[index]), y: Double(candidate.landmarks[5 + index]))
        }
        return DetectedFace(
            box: BoundingBox(
                minX: Double(candidate.x1),
                minY: Double(candidate.y1),
                maxX: Double(candidate.x2),
                maxY: Double(candidate.y2)
            ),
            confidence: Double(candidate.score),
            landmarks: FaceLandmarks(
                leftEye: point(0),
                rightEye: point(1),
                nose: point(2),
                mouthLeft: point(3),
                mouthRight: point(4)
            )
        )
    }

    // MARK: Image work

}
