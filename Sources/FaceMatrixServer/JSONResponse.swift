import Foundation
public import Hummingbird

/// Encodes a value as a JSON response (`application/json; charset=utf-8`) with the given status and headers; keys are
/// written in a stable (sorted) order.
///
/// - Throws: `EncodingError` when `value` cannot be encoded.
public func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
    throws -> Response
{
    var buffer = ByteBuffer()
    buffer.writeBytes(try jsonBytes(value))
    var headers = headers
    headers[.contentType] = jsonContentType
    return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
}

/// The Content-Type of every JSON answer.
let jsonContentType = "application/json; charset=utf-8"

/// The JSON text of every answer: keys sorted, slashes unescaped. Also used where a response is written below
/// Hummingbird (`MalformedRequestResponder`), so that both read the same.
///
/// - Throws: `EncodingError` when `value` cannot be encoded.
func jsonBytes(_ value: some Encodable) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(value))
}
