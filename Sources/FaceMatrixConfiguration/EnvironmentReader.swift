import Foundation
package import Logging

/// A variable that is set but unusable. The message names the variable, so the process can stop with one line.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let variable: String
    public let reason: String

    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    public var description: String { "invalid configuration: \(variable) \(reason)" }
}

/// Typed access to environment variables that turns every bad value into an error naming the variable.
package struct EnvironmentReader {
    package let environment: [String: String]

    package init(environment: [String: String]) {
        self.environment = environment
    }

    package func value(_ name: String) -> String? {
        guard let raw = environment[name] else { return nil }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    package func string(_ name: String, default defaultValue: String) throws(ConfigurationError) -> String {
        value(name) ?? defaultValue
    }

    package func required(_ name: String, hint: String) throws(ConfigurationError) -> String {
        guard let value = value(name) else { throw .init(variable: name, reason: "is not set; \(hint)") }
        return value
    }

    package func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>)
        throws(ConfigurationError)
        -> Int
    {
        guard let raw = value(name) else { return defaultValue }
        guard let number = Int(raw), range.contains(number) else {
            throw .init(
                variable: name, reason: "must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(raw)'")
        }
        return number
    }

    package func double(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>)
        throws(ConfigurationError) -> Double
    {
        guard let raw = value(name) else { return defaultValue }
        guard let number = Double(raw), number.isFinite, range.contains(number) else {
            throw .init(
                variable: name, reason: "must be a number in \(range.lowerBound)...\(range.upperBound), got '\(raw)'")
        }
        return number
    }

    package func doubles(_ name: String, default defaultValue: [Double], count: Int, in range: ClosedRange<Double>)
        throws(ConfigurationError) -> [Double]
    {
        guard let raw = value(name) else { return defaultValue }
        let numbers = raw.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == count, numbers.allSatisfy({ $0.isFinite && range.contains($0) }) else {
            throw .init(
                variable: name,
                reason:
                    "must be \(count) comma-separated numbers in \(range.lowerBound)...\(range.upperBound), got '\(raw)'"
            )
        }
        return numbers
    }

    package func logLevel(_ name: String, default defaultValue: Logger.Level) throws(ConfigurationError)
        -> Logger.Level
    {
        guard let raw = value(name) else { return defaultValue }
        guard let level = Logger.Level(rawValue: raw.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw .init(variable: name, reason: "must be one of \(names), got '\(raw)'")
        }
        return level
    }
}
