import Foundation
public import Hummingbird

/// Encodes a value as a JSON response (`application/json; charset=utf-8`) with the given status and headers; keys are
/// written in a stable (sorted) order.
///
/// - Throws: `EncodingError` when `value` cannot be encoded.
public func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
    throws -> Response
{
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var buffer = ByteBuffer()
    buffer.writeBytes(try encoder.encode(value))
    var headers = headers
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
}
