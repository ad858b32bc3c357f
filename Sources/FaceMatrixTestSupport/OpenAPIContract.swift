import Foundation
import Yams

/// The served OpenAPI document, and a checker of JSON bodies against its schemas. It understands the parts of
/// JSON Schema the document uses: type (also as a list, with "null"), required, properties, items, enum, const,
/// pattern, oneOf, allOf, additionalProperties and $ref; and the response headers it declares as required.
/// Immutable after `init`, and the parsed YAML holds only value types, so sharing it between tasks is safe.
public struct OpenAPIContract: @unchecked Sendable {
    /// The parsed document.
    public let document: [String: Any]

    /// Parses the document.
    ///
    /// - Throws: Yams' error for malformed YAML, `ContractViolation` when it is not a mapping.
    public init(yaml: String) throws {
        guard let document = try Yams.load(yaml: yaml) as? [String: Any] else {
            throw ContractViolation("the document is not a YAML mapping")
        }
        self.document = document
    }

    /// The `paths` object.
    public var paths: [String: Any] { document["paths"] as? [String: Any] ?? [:] }

    /// The operation object of `method` on `path`, if documented.
    public func operation(path: String, method: String) -> [String: Any]? {
        (paths[path] as? [String: Any])?[method.lowercased()] as? [String: Any]
    }

    /// Checks a response body, and the headers when given (names in lower case), against what the document
    /// promises for this path, method and status.
    public func validate(path: String, method: String, status: Int, body: Any, headers: [String: String]? = nil) throws
    {
        guard let operation = operation(path: path, method: method) else {
            throw ContractViolation("\(method) \(path) is not documented")
        }
        guard var response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any] else {
            throw ContractViolation("\(method) \(path) does not document status \(status)")
        }
        if let reference = response["$ref"] as? String { response = try resolve(reference) }
        if let headers {
            for (name, declaration) in response["headers"] as? [String: Any] ?? [:] {
                var header = declaration as? [String: Any] ?? [:]
                if let reference = header["$ref"] as? String { header = try resolve(reference) }
                guard let value = headers[name.lowercased()] else {
                    if header["required"] as? Bool == true {
                        throw ContractViolation("\(method) \(path) \(status): header \(name) is missing")
                    }
                    continue
                }
                try check(value, against: header["schema"] as? [String: Any] ?? [:], at: "header \(name)")
            }
        }
        guard let content = response["content"] as? [String: Any],
            let json = content["application/json"] as? [String: Any], let schema = json["schema"] as? [String: Any]
        else { throw ContractViolation("\(method) \(path) \(status) documents no JSON body") }
        try check(body, against: schema, at: "\(method) \(path) \(status)")
    }

    /// The schema a `#/...` reference points at.
    ///
    /// - Throws: `ContractViolation` when it does not resolve.
    public func resolve(_ reference: String) throws -> [String: Any] {
        var node: Any = document
        for key in reference.dropFirst(2).split(separator: "/") {
            guard let next = (node as? [String: Any])?[String(key)] else {
                throw ContractViolation("unresolvable reference \(reference)")
            }
            node = next
        }
        guard let schema = node as? [String: Any] else { throw ContractViolation("\(reference) is not a schema") }
        return schema
    }

    /// Checks a JSON value against a schema.
    ///
    /// - Throws: `ContractViolation` naming the first deviation and where it is.
    public func check(_ value: Any, against schema: [String: Any], at location: String) throws {
        if let reference = schema["$ref"] as? String {
            return try check(value, against: try resolve(reference), at: location)
        }
        for part in schema["allOf"] as? [[String: Any]] ?? [] {
            try check(value, against: part, at: location)
        }
        if let alternatives = schema["oneOf"] as? [[String: Any]] {
            let matches = alternatives.filter { (try? check(value, against: $0, at: location)) != nil }
            guard matches.count == 1 else {
                throw ContractViolation("\(location): matches \(matches.count) of the oneOf alternatives")
            }
            return
        }
        try checkScalar(value, against: schema, at: location)
        if let object = value as? [String: Any] { try checkObject(object, against: schema, at: location) }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, element) in array.enumerated() {
                try check(element, against: items, at: "\(location)[\(index)]")
            }
        }
    }

    /// The keywords about the value itself: type, pattern, const, enum.
    private func checkScalar(_ value: Any, against schema: [String: Any], at location: String) throws {
        if let types = schema["type"].map({ $0 as? [String] ?? [$0 as? String ?? ""] }),
            !types.contains(where: { Self.value(value, hasType: $0) })
        {
            throw ContractViolation("\(location): \(value) is not of type \(types)")
        }
        if let pattern = schema["pattern"] as? String, let string = value as? String,
            !Self.matches(string, pattern: pattern)
        {
            throw ContractViolation("\(location): '\(string)' does not match \(pattern)")
        }
        if let constant = schema["const"], "\(constant)" != "\(value)" {
            throw ContractViolation("\(location): expected \(constant)")
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { "\($0)" == "\(value)" }) {
            throw ContractViolation("\(location): \(value) is not one of \(allowed)")
        }
    }

    /// The keywords about an object's members: required, properties, additionalProperties.
    private func checkObject(_ object: [String: Any], against schema: [String: Any], at location: String) throws {
        let properties = schema["properties"] as? [String: Any] ?? [:]
        for key in schema["required"] as? [String] ?? [] where object[key] == nil {
            throw ContractViolation("\(location): required property '\(key)' is missing")
        }
        for (key, member) in object {
            if let propertySchema = properties[key] as? [String: Any] {
                try check(member, against: propertySchema, at: "\(location).\(key)")
            } else if let additional = schema["additionalProperties"] as? [String: Any] {
                try check(member, against: additional, at: "\(location).\(key)")
            } else if schema["type"] as? String == "object" && !properties.isEmpty {
                throw ContractViolation("\(location): property '\(key)' is not documented")
            }
        }
    }

    /// Whether the pattern is found in the string (JSON Schema patterns are not anchored by themselves).
    public static func matches(_ string: String, pattern: String) -> Bool {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return false }
        let range = NSRange(string.startIndex..., in: string)
        return expression.firstMatch(in: string, range: range) != nil
    }

    /// The schema of a component, e.g. `schema("Name")`.
    public func schema(_ name: String) throws -> [String: Any] {
        try resolve("#/components/schemas/\(name)")
    }

    /// Whether a JSON value is of a JSON Schema type.
    public static func value(_ value: Any, hasType type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "boolean": return value is Bool
        case "integer":
            guard let number = value as? NSNumber else { return false }
            return number.doubleValue.rounded() == number.doubleValue
        case "number": return value is NSNumber
        default: return false
        }
    }
}

/// A response that the document does not allow, or a document the checker cannot read.
public struct ContractViolation: Error, CustomStringConvertible {
    /// What deviates, and where.
    public let description: String
    /// - Parameter description: what deviates, and where.
    public init(_ description: String) { self.description = description }
}
