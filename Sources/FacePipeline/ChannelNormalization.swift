public import FaceMatrixCore

/// How 8-bit RGB pixels become a network's input values: channel order, then value = (pixel − mean) × scale.
public struct ChannelNormalization: Sendable, Equatable {
    /// For each output channel, the index of the RGB source channel it reads (BGR is [2, 1, 0]).
    public var sourceChannels: [Int]
    /// For each output channel, the value subtracted from the 0…255 pixel (127.5 centres it).
    public var mean: [Float]
    /// For each output channel, the factor applied after the mean is subtracted (0.0078125 = 1/128 maps 0…255 to
    /// about −1…1).
    public var scale: [Float]

    /// Creates a normalisation from explicit per-channel values.
    ///
    /// - Precondition: `sourceChannels`, `mean` and `scale` each have exactly three elements.
    public init(sourceChannels: [Int], mean: [Float], scale: [Float]) {
        precondition(sourceChannels.count == 3 && mean.count == 3 && scale.count == 3)
        self.sourceChannels = sourceChannels
        self.mean = mean
        self.scale = scale
    }

    /// MTCNN's convention: RGB, (x − 127.5) × 0.0078125.
    public static let mtcnn = ChannelNormalization(
        sourceChannels: [0, 1, 2],
        mean: [127.5, 127.5, 127.5],
        scale: [0.0078125, 0.0078125, 0.0078125]
    )

    /// Reads a model manifest's `preprocessing` section.
    ///
    /// - Throws: `ModelLoadingError.unsupported` for a channel order other than RGB or BGR, a layout other than
    ///   NCHW, transposed (H and W exchanged) input, or a mean or scale without exactly three values.
    public init(_ preprocessing: ModelManifest.Preprocessing) throws(ModelLoadingError) {
        let order: [Int]
        switch preprocessing.channelOrder.uppercased() {
        case "RGB": order = [0, 1, 2]
        case "BGR": order = [2, 1, 0]
        default: throw .unsupported("channel order \(preprocessing.channelOrder)")
        }
        guard preprocessing.layout.uppercased() == "NCHW" else { throw .unsupported("layout \(preprocessing.layout)") }
        guard !preprocessing.transposeHW else { throw .unsupported("transposed input") }
        guard preprocessing.mean.count == 3, preprocessing.scale.count == 3 else {
            throw .unsupported("mean and scale must have three channels")
        }
        self.init(
            sourceChannels: order,
            mean: preprocessing.mean.map(Float.init),
            scale: preprocessing.scale.map(Float.init)
        )
    }
}
