/// The description written next to every converted model by the model tooling (`tools/facematrix_models`):
/// what the files are, what the network expects as input and how its output is to be compared.
public struct ModelManifest: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        public var role: String
        public var path: String
        public var sha256: String
    }

    public struct TensorSpec: Codable, Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var dtype: String
    }

    public struct NetworkIO: Codable, Sendable, Equatable {
        public var inputs: [TensorSpec]
        public var outputs: [TensorSpec]
    }

    /// value = (pixel − mean[c]) × scale[c] for pixel in 0…255, c in the model's channel order.
    public struct Preprocessing: Codable, Sendable, Equatable {
        public var layout: String
        public var channelOrder: String
        public var mean: [Double]
        public var scale: [Double]
        public var transposeHW: Bool

        enum CodingKeys: String, CodingKey {
            case layout
            case channelOrder = "channel_order"
            case mean, scale
            case transposeHW = "transpose_hw"
        }

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
        public var margin: Double?
        public var marginUnit: String?

        enum CodingKeys: String, CodingKey {
            case method, size, template, margin
            case marginUnit = "margin_unit"
        }

        public init(
            method: String, size: [Int], template: [[Double]]?, margin: Double? = nil, marginUnit: String? = nil
        ) {
            self.method = method
            self.size = size
            self.template = template
            self.margin = margin
            self.marginUnit = marginUnit
        }
    }

    public struct EmbeddingSpec: Codable, Sendable, Equatable {
        public var size: Int
        public var metric: String
        public var normalize: String
    }

    public var schemaVersion: Int
    public var name: String
    public var version: String
    public var task: String
    public var license: String?
    public var source: String?
    public var files: [File]
    public var inputs: [TensorSpec]?
    public var outputs: [TensorSpec]?
    public var networks: [String: NetworkIO]?
    public var preprocessing: Preprocessing
    public var crop: Crop?
    public var embedding: EmbeddingSpec?
    public var thresholds: MatchThresholds?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case name, version, task, license, source, files, inputs, outputs, networks, preprocessing, crop, embedding
        case thresholds
    }

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

    public init(verification: Double, impostorTail: ImpostorTail, identificationMargin: Double) {
        self.verification = verification
        self.impostorTail = impostorTail
        self.identificationMargin = identificationMargin
    }
}
