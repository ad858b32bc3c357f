import FaceMatrixCore

extension Tensor {
    /// Rows `range` of the outermost axis, as a tensor of its own. The caller keeps `range` within the rows.
    func rows(_ range: Range<Int>) -> Tensor {
        let rowSize = shape.dropFirst().reduce(1, *)
        var shape = shape
        shape[0] = range.count
        return Tensor(shape: shape, values: Array(values[(range.lowerBound * rowSize)..<(range.upperBound * rowSize)]))
    }

    /// The parts stacked along the outermost axis; nil when their inner shapes differ.
    static func stacking(_ parts: [Tensor]) -> Tensor? {
        guard let first = parts.first, !first.shape.isEmpty else { return nil }
        let inner = first.shape.dropFirst()
        guard parts.allSatisfy({ !$0.shape.isEmpty && $0.shape.dropFirst() == inner }) else { return nil }
        return Tensor(
            shape: [parts.reduce(0) { $0 + $1.shape[0] }] + inner,
            values: parts.flatMap(\.values)
        )
    }
}
