/// A configuration value the server cannot start with. The description names the variable and never holds a secret.
package struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable at fault, e.g. `PORT`.
    package let variable: String
    /// What is wrong with it, as a sentence a person can act on.
    package let problem: String

    package init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    package var description: String {
        "\(variable): \(problem)"
    }
}
