import PostgresNIO

extension PostgresRowSequence {
    /// The one value an aggregate query answers (its last row's only column), or `fallback` when no row came.
    func value<Value: PostgresDecodable>(_ type: Value.Type, or fallback: Value) async throws -> Value {
        var value = fallback
        for try await decoded in decode(Value.self) { value = decoded }
        return value
    }
}
