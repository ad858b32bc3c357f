import Foundation
package import Logging

/// A variable that is set but unusable. The message names the variable, so the process can stop with one line.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The environment variable at fault, e.g. `FACEMATRIX_MAX_QUEUE`.
    public let variable: String
    /// What is wrong with it, phrased to follow the variable's name.
    public let reason: String

    /// An error for `variable`; `reason` reads on from its name.
    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    /// `invalid configuration: VARIABLE reason`, one line for the log or the terminal.
    public var description: String { "invalid configuration: \(variable) \(reason)" }
}

/// Typed access to environment variables that turns every bad value into an error naming the variable.
package struct EnvironmentReader {
    /// The variables read, usually the process's.
    package let environment: [String: String]

    /// A reader of `environment`.
    package init(environment: [String: String]) {
        self.environment = environment
    }

    /// The variable's value without surrounding spaces and tabs; nil when it is unset or blank.
    package func value(_ name: String) -> String? {
        guard let raw = environment[name] else { return nil }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The value as it is, or `defaultValue` when unset or blank. Never throws; typed so that every read looks alike.
    package func string(_ name: String, default defaultValue: String) throws(ConfigurationError) -> String {
        value(name) ?? defaultValue
    }

    /// The value of a variable that must be set.
    ///
    /// - Throws: `ConfigurationError` ending in `hint` when it is unset or blank.
    package func required(_ name: String, hint: String) throws(ConfigurationError) -> String {
        guard let value = value(name) else { throw .init(variable: name, reason: "is not set; \(hint)") }
        return value
    }

    /// A decimal integer in `range`; `defaultValue` (not checked against `range`) when unset or blank.
    ///
    /// - Throws: `ConfigurationError` for anything else.
    package func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>)
        throws(ConfigurationError)
        -> Int
    {
        guard let raw = value(name) else { return defaultValue }
        guard let number = Int(raw), range.contains(number) else {
            throw .init(
                variable: name,
                reason: "must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(raw)'"
            )
        }
        return number
    }

    /// A finite number in `range`; `defaultValue` (not checked against `range`) when unset or blank.
    ///
    /// - Throws: `ConfigurationError` for anything else, `inf` and `nan` included.
    package func double(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>)
        throws(ConfigurationError) -> Double
    {
        guard let raw = value(name) else { return defaultValue }
        guard let number = Double(raw), number.isFinite, range.contains(number) else {
            throw .init(
                variable: name,
                reason: "must be a number in \(range.lowerBound)...\(range.upperBound), got '\(raw)'"
            )
        }
        return number
    }

    /// Exactly `count` comma-separated finite numbers, each in `range`; `defaultValue` when unset or blank.
    ///
    /// - Throws: `ConfigurationError` for any other count or value.
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

    /// A swift-log level name, `trace` to `critical`, in any case; `defaultValue` when unset or blank.
    ///
    /// - Throws: `ConfigurationError` listing the names for anything else.
    package func logLevel(_ name: String, default defaultValue: Logger.Level) throws(ConfigurationError)
        -> Logger.Level
    {
        try choice(name, default: defaultValue)
    }

    /// One of `Choice`'s raw values, in any case; `defaultValue` when unset or blank.
    ///
    /// - Throws: `ConfigurationError` listing the accepted values for anything else.
    package func choice<Choice: CaseIterable & RawRepresentable<String>>(_ name: String, default defaultValue: Choice)
        throws(ConfigurationError) -> Choice
    {
        guard let raw = value(name) else { return defaultValue }
        guard let choice = Choice(rawValue: raw.lowercased()) else {
            let names = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw .init(variable: name, reason: "must be one of \(names), got '\(raw)'")
        }
        return choice
    }
}
