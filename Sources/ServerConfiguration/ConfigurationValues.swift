import Configuration
import Foundation
import Logging
import SystemPackage

/// Raw configuration values by ``ConfigurationVariable``, from the process environment and then a `.env`-style file
/// (the environment wins). An empty or blank value counts as unset. The typed readers throw a
/// ``ConfigurationError`` that names the variable.
package struct ConfigurationValues: Sendable {
    let reader: ConfigReader

    package init(reader: ConfigReader) {
        self.reader = reader
    }

    /// Reads `environment` (the process environment by default) and the file at `environmentFile`, if it exists.
    ///
    /// Every secret variable can also come from a file named by the same variable with `_FILE` (`OPENAI_API_KEY_FILE`,
    /// the Docker and Kubernetes secrets convention): the file's content, without its trailing newline, is the value.
    /// Setting both is an error, and so is a file that cannot be read or is empty.
    package static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        environmentFile: String? = ".env"
    ) async throws -> ConfigurationValues {
        let secrets = SecretsSpecifier<String, String>.specific(
            Set(ConfigurationVariable.allCases.filter(\.isSecret).flatMap { [$0.name, $0.name + "_FILE"] })
        )
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: secrets)
        ]
        if let environmentFile {
            providers.append(
                try await EnvironmentVariablesProvider(
                    environmentFilePath: FilePath(environmentFile),
                    allowMissing: true,
                    secretsSpecifier: secrets
                )
            )
        }
        let direct = ConfigurationValues(reader: ConfigReader(providers: providers))
        let fromFiles = try direct.secretsFromFiles()
        guard !fromFiles.isEmpty else { return direct }
        return ConfigurationValues(
            reader: ConfigReader(providers: [InMemoryProvider(name: "secret files", values: fromFiles)] + providers)
        )
    }

    /// The secrets whose `_FILE` variable is set, read from their files.
    private func secretsFromFiles() throws(ConfigurationError) -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for variable in ConfigurationVariable.allCases where variable.isSecret {
            let fileVariable = variable.name + "_FILE"
            guard let path = text(named: fileVariable, isSecret: true) else { continue }
            guard self[variable] == nil else {
                throw ConfigurationError(
                    variable: fileVariable,
                    problem: "is set beside \(variable.name): set one of them"
                )
            }
            guard let content = FileManager.default.contents(atPath: path),
                let text = String(data: content, encoding: .utf8)
            else {
                throw ConfigurationError(variable: fileVariable, problem: "names a file that cannot be read (\(path))")
            }
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else {
                throw ConfigurationError(variable: fileVariable, problem: "names an empty file (\(path))")
            }
            values[AbsoluteConfigKey(Self.key(variable.name))] = ConfigValue(.string(value), isSecret: true)
        }
        return values
    }

    private static func key(_ name: String) -> ConfigKey {
        ConfigKey(name.lowercased().replacingOccurrences(of: "_", with: "."))
    }

    private func text(named name: String, isSecret: Bool) -> String? {
        guard let value = reader.string(forKey: Self.key(name), isSecret: isSecret) else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    package subscript(variable: ConfigurationVariable) -> String? {
        text(named: variable.name, isSecret: variable.isSecret)
    }

    package func secret(_ variable: ConfigurationVariable) -> Secret? {
        self[variable].map(Secret.init)
    }

    package func url(_ variable: ConfigurationVariable, schemes: [String]) throws(ConfigurationError) -> URL? {
        guard let text = self[variable] else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), schemes.contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            let shown = variable.isSecret ? "" : ", not \"\(text)\""
            throw ConfigurationError(
                variable: variable.name,
                problem: "must be a \(schemes.map { $0 + "://" }.joined(separator: " or ")) URL\(shown)"
            )
        }
        return url
    }

    /// A TCP port, 0 to 65535 (0 picks a free one).
    package func port(_ variable: ConfigurationVariable) throws(ConfigurationError) -> Int? {
        guard let text = self[variable] else { return nil }
        guard let port = Int(text), (0...65535).contains(port) else {
            throw ConfigurationError(
                variable: variable.name,
                problem: "must be a whole number from 0 to 65535, not \"\(text)\""
            )
        }
        return port
    }

    /// A whole number within `range`.
    package func wholeNumber(
        _ variable: ConfigurationVariable,
        in range: ClosedRange<Int>
    ) throws(ConfigurationError) -> Int? {
        guard let text = self[variable] else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw ConfigurationError(
                variable: variable.name,
                problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\""
            )
        }
        return number
    }

    package func phoneNumber(_ variable: ConfigurationVariable) throws(ConfigurationError) -> String? {
        guard let text = self[variable] else { return nil }
        let digits = text.dropFirst()
        guard text.hasPrefix("+"), (2...15).contains(digits.count), digits.allSatisfy(\.isASCII),
            digits.allSatisfy(\.isNumber), digits.first != "0"
        else {
            throw ConfigurationError(
                variable: variable.name,
                problem: "must be a phone number in E.164 form, such as +14155552671"
            )
        }
        return text
    }

    /// `APP_ENV`: development unless set.
    package func appEnvironment() throws(ConfigurationError) -> AppEnvironment {
        guard let text = self[.appEnv] else { return .development }
        guard let environment = AppEnvironment(rawValue: text.lowercased()) else {
            throw ConfigurationError(
                variable: ConfigurationVariable.appEnv.name,
                problem: "must be development or production, not \"\(text)\""
            )
        }
        return environment
    }

    /// `LOG_LEVEL`: info unless set.
    package func logLevel() throws(ConfigurationError) -> Logger.Level {
        guard let text = self[.logLevel] else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(
                variable: ConfigurationVariable.logLevel.name,
                problem: "must be one of \(levels), not \"\(text)\""
            )
        }
        return level
    }

    /// `PUBLIC_BASE_URL`, if set.
    package func publicBaseURL() throws(ConfigurationError) -> PublicBaseURL? {
        try self[.publicBaseURL].map { text throws(ConfigurationError) in
            try PublicBaseURL(parsing: text, variable: ConfigurationVariable.publicBaseURL.name)
        }
    }

    /// `BUSINESS_TIMEZONE`: America/New_York unless set.
    package func businessTimeZone() throws(ConfigurationError) -> TimeZone {
        guard let identifier = self[.businessTimeZone] else { return TimeZone(identifier: "America/New_York")! }
        guard let timeZone = TimeZone(identifier: identifier) else {
            throw ConfigurationError(
                variable: ConfigurationVariable.businessTimeZone.name,
                problem: "must be an IANA time zone such as America/New_York, not \"\(identifier)\""
            )
        }
        return timeZone
    }

    /// `DATABASE_URL`: `./data/bookings.sqlite` unless set.
    package func database() throws(ConfigurationError) -> DatabaseLocation {
        guard let text = self[.databaseURL] else { return .sqlite(path: "./data/bookings.sqlite") }
        return try DatabaseLocation(parsing: text)
    }

    /// The Twilio account's variables, checked.
    package func twilioAccount() throws(ConfigurationError) -> TwilioAccount {
        var account = TwilioAccount()
        if let sid = self[.twilioAccountSID] {
            guard sid.hasPrefix("AC"), sid.count == 34, sid.dropFirst(2).allSatisfy(\.isHexDigit) else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.twilioAccountSID.name,
                    problem: "must be an account SID: AC followed by 32 hexadecimal digits"
                )
            }
            account.accountSID = sid
        }
        account.authToken = secret(.twilioAuthToken)
        account.secondaryAuthToken = secret(.twilioAuthTokenSecondary)
        if account.secondaryAuthToken != nil, account.authToken == nil {
            throw ConfigurationError(
                variable: ConfigurationVariable.twilioAuthTokenSecondary.name,
                problem: "needs TWILIO_AUTH_TOKEN: it is accepted beside it while the token is rotated"
            )
        }
        account.phoneNumber = try phoneNumber(.twilioPhoneNumber)
        if let url = try url(.twilioAPIBaseURL, schemes: ["https", "http"]) {
            account.apiBaseURL = url
        }
        return account
    }
}

/// `APP_ENV`.
package enum AppEnvironment: String, Sendable {
    case development
    case production
}
