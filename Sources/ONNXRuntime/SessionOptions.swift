/// How a session uses threads and optimises its graph.
public struct SessionOptions: Sendable, Equatable {
    /// Threads one run may use inside an operator. With 1 the calling thread does all the work and no pool is
    /// started, which suits a server that runs several requests side by side on few cores.
    public var intraOpThreads: Int
    /// Threads for running independent graph nodes side by side. ONNX Runtime uses them only in parallel
    /// execution mode, which sessions here leave off (sequential), so this has no effect at present.
    public var interOpThreads: Int
    /// Whether idle pool threads spin; spinning lowers latency on idle machines and wastes cores on busy ones.
    public var allowSpinning: Bool
    /// How far ONNX Runtime rewrites the graph when the session loads.
    public var graphOptimization: GraphOptimization

    /// ONNX Runtime's graph optimisation levels (`GraphOptimizationLevel`).
    public enum GraphOptimization: Sendable, Equatable {
        /// `ORT_DISABLE_ALL`, `ORT_ENABLE_BASIC`, `ORT_ENABLE_EXTENDED` and `ORT_ENABLE_ALL`, respectively.
        case disabled, basic, extended, all
    }

    /// Creates options; the defaults (one thread each, no spinning, every optimisation) suit a server that runs
    /// several requests side by side on few cores.
    public init(
        intraOpThreads: Int = 1,
        interOpThreads: Int = 1,
        allowSpinning: Bool = false,
        graphOptimization: GraphOptimization = .all
    ) {
        self.intraOpThreads = intraOpThreads
        self.interOpThreads = interOpThreads
        self.allowSpinning = allowSpinning
        self.graphOptimization = graphOptimization
    }
}
