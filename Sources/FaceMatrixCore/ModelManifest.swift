/// The description written next to every converted model by the model tooling (`tools/facematrix_models`):
/// what the files are, what the network expects as input and how its output is to be compared.
public struct ModelManifest: Codable, Sendable, Equatable {
    /// One file of the model, with the checksum it is verified against when the models load.
    public struct File: Codable, Sendable, Equatable {
        /// What the file is for: "model" for an embedder; "pnet", "rnet" or "onet" for MTCNN's networks.
        public var role: String
        /// Relative to the manifest's directory.
        public var path: String
        /// SHA-256 of the file's bytes, in hex.
        public var sha256: String
    }

    /// A network input or output as the converter recorded it.
    public struct TensorSpec: Codable, Sendable, Equatable {
        /// The tensor's name in the ONNX graph.
        public var name: String
        /// Dimensions, outermost first; -1 marks a dynamic axis (the batch).
        public var shape: [Int]
        /// Element type, e.g. "float32".
        public var dtype: String

        /// Describes one tensor.
        public init(name: String, shape: [Int], dtype: String) {
            self.name = name
            self.shape = shape
            self.dtype = dtype
        }
    }

    /// The inputs and outputs of one network of a multi-network model (MTCNN's P-, R- and O-Net).
    public struct NetworkIO: Codable, Sendable, Equatable {
        /// The network's input tensors.
        public var inputs: [TensorSpec]
        /// The network's output tensors.
        public var outputs: [TensorSpec]
    }

    /// value = (pixel − mean[c]) × scale[c] for pixel in 0…255, c in the model's channel order.
    public struct Preprocessing: Codable, Sendable, Equatable {
        /// Memory layout of the input tensor, e.g. "NCHW" (the only one the pipeline accepts).
        public var layout: String
        /// Colour channel order the network expects: "RGB" or "BGR".
        public var channelOrder: String
        /// Per-channel value subtracted from 0–255 pixels, in `channelOrder`.
        public var mean: [Double]
        /// Per-channel factor applied after subtracting `mean`, in `channelOrder`.
        public var scale: [Double]
        /// Whether the network expects height and width swapped (the pipeline accepts only false).
        public var transposeHW: Bool

        enum CodingKeys: String, CodingKey {
            case layout
            case channelOrder = "channel_order"
            case mean, scale
            case transposeHW = "transpose_hw"
        }

        /// Creates preprocessing parameters; `mean` and `scale` have one entry per channel.
        public init(layout: String, channelOrder: String, mean: [Double], scale: [Double], transposeHW: Bool) {
            self.layout = layout
            self.channelOrder = channelOrder
            self.mean = mean
            self.scale = scale
            self.transposeHW = transposeHW
        }
    }

    /// How to cut the face out of the photo for the network.
    public struct Crop: Codable, Sendable, Equatable {
        /// "similarity_5pt" (align the five landmarks to `template`) or "box_margin".
        public var method: String
        /// Width and height of the network's input in pixels.
        public var size: [Int]
        /// Five points in pixels of the crop: left eye, right eye, nose, left and right mouth corner.
        public var template: [[Double]]?
        /// For "box_margin": border added around the detection box, in pixels of the crop (facenet-pytorch's `margin`).
        public var margin: Double?
        /// The unit of `margin`; the pipeline accepts nil or "pixels_of_output" (of the crop) and refuses any other.
        public var marginUnit: String?

        enum CodingKeys: String, CodingKey {
            case method, size, template, margin
            case marginUnit = "margin_unit"
        }

        /// Creates a crop description: `template` is for "similarity_5pt", `margin` and `marginUnit` for "box_margin".
        public init(
            method: String,
            size: [Int],
            template: [[Double]]?,
            margin: Double? = nil,
            marginUnit: String? = nil
        ) {
            self.method = method
            self.size = size
            self.template = template
            self.margin = margin
            self.marginUnit = marginUnit
        }
    }

    /// How the embedder's output is compared.
    public struct EmbeddingSpec: Codable, Sendable, Equatable {
        /// Number of values in one embedding.
        public var size: Int
        /// The comparison; the pipeline accepts only "cosine".
        public var metric: String
        /// The normalisation before comparing; the pipeline accepts only "l2".
        public var normalize: String
    }

    /// Version of the manifest format; a build reads only its own (`FaceModels.manifestSchemaVersion`).
    public var schemaVersion: Int
    /// The model's name, e.g. "mtcnn" or "face-reidentification-retail-0095".
    public var name: String
    /// The model's version, e.g. "omz-2023.0-fp16"; with `name`, it tells embeddings of different models apart.
    public var version: String
    /// What the model does: "detection" or "embedding".
    public var task: String
    /// Licence of the weights, as an SPDX identifier (e.g. "MIT").
    public var license: String?
    /// Where the original weights came from, with their checksums.
    public var source: String?
    /// Every file of the model.
    public var files: [File]
    /// Inputs of a single-network model; nil for MTCNN, whose networks are under `networks`.
    public var inputs: [TensorSpec]?
    /// Outputs of a single-network model; nil for MTCNN.
    public var outputs: [TensorSpec]?
    /// Inputs and outputs of each network of a multi-network model, by role ("pnet", "rnet", "onet").
    public var networks: [String: NetworkIO]?
    /// How pixels become input values.
    public var preprocessing: Preprocessing
    /// How the embedder's input face is cut out; nil for the detector.
    public var crop: Crop?
    /// How the embedder's output is compared; nil for the detector.
    public var embedding: EmbeddingSpec?
    /// Calibrated decision thresholds; nil until the model is calibrated with the service's own pipeline.
    public var thresholds: MatchThresholds?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case name, version, task, license, source, files, inputs, outputs, networks, preprocessing, crop, embedding
        case thresholds
    }

    /// The first file with this role; nil when the manifest lists none.
    public func file(role: String) -> File? { files.first { $0.role == role } }
}

/// Recommended decision thresholds for an embedder, from the calibration on labelled photos (`facematrix
/// evaluate`, see the README).
public struct MatchThresholds: Codable, Sendable, Equatable {
    /// 1:1 verification: same person when cosine similarity ≥ this (best accuracy on the calibration pairs).
    public var verification: Double
    /// 1:N identification: the impostor tail the open-set threshold is derived from, for any target FAR and
    /// gallery size (`IdentificationPolicy`).
    public var impostorTail: ImpostorTail
    /// The lead the best user needs over the runner-up in 1:N identification (0 when a margin does not pay).
    public var identificationMargin: Double

    enum CodingKeys: String, CodingKey {
        case verification
        case impostorTail = "impostor_tail"
        case identificationMargin = "identification_margin"
    }

    /// Creates thresholds from a calibration.
    public init(verification: Double, impostorTail: ImpostorTail, identificationMargin: Double) {
        self.verification = verification
        self.impostorTail = impostorTail
        self.identificationMargin = identificationMargin
    }
}
