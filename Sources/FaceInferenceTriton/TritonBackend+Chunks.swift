import FaceInference
import FaceMatrixCore

extension TritonBackend {
    /// A batch larger than the model's `max_batch_size` (a big group photo's R-Net candidates) goes as several
    /// requests at once, which the server may run side by side; the answers are stacked back in order.
    func runInChunks(of limit: Int, rows: Int, role: String, inputs: [String: Tensor], outputs: [String])
        async throws -> [String: Tensor]
    {
        let starts = Array(stride(from: 0, to: rows, by: limit))
        let answers = try await withThrowingTaskGroup(of: (Int, [String: Tensor]).self) { group in
            for (index, start) in starts.enumerated() {
                let chunk = inputs.mapValues { $0.rows(start..<min(start + limit, rows)) }
                group.addTask { (index, try await self.run(model: role, inputs: chunk, outputs: outputs)) }
            }
            var answers = [[String: Tensor]](repeating: [:], count: starts.count)
            for try await (index, answer) in group { answers[index] = answer }
            return answers
        }
        var stacked: [String: Tensor] = [:]
        for name in outputs {
            guard let tensor = Tensor.stacking(answers.compactMap { $0[name] }) else {
                throw InferenceError.unexpectedOutput(model: role, reason: "the chunks' outputs '\(name)' do not stack")
            }
            stacked[name] = tensor
        }
        return stacked
    }
}
