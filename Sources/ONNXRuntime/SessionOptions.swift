/// How a session uses threads and optimises its graph.
public struct SessionOptions: Sendable, Equatable {
    /// Threads one run may use inside an operator. With 1 the calling thread does all the work and no pool is
    /// started, which suits a server that runs several requests side by side on few cores.
    public var intraOpThreads: Int
    public var interOpThreads: Int
    /// Whether idle pool threads spin; spinning lowers latency on idle machines and wastes cores on busy ones.
    public var allowSpinning: Bool
    public var graphOptimization: GraphOptimization

    public enum GraphOptimization: Sendable, Equatable {
        case disabled, basic, extended, all
    }

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
