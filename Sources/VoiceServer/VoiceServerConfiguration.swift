import Booking
import CallRecords
import Configuration
import Foundation
import Logging
import SystemPackage
import TwilioREST

/// Everything the server reads from its environment, checked once at start-up.
///
/// Values come from the process environment, then from a `.env` file if one exists (the environment wins).
/// A value that is present but unusable throws a ``ConfigurationError`` naming the variable; an empty value counts
/// as unset.
package struct VoiceServerConfiguration: Sendable {
    package enum Environment: String, Sendable {
        case development
        case production
    }

    package enum Database: Sendable, Equatable {
        /// A SQLite file (created if missing).
        case sqlite(path: String)
        /// A PostgreSQL server, as a `postgres://user:password@host:port/database` URL.
        case postgres(url: Secret)

        /// `sqlite` or `postgres`: safe to log.
        package var kind: String {
            switch self {
            case .sqlite: "sqlite"
            case .postgres: "postgres"
            }
        }
    }

    package var environment: Environment = .development
    /// Address to listen on.
    package var host: String = "0.0.0.0"
    /// TCP port to listen on; 0 picks a free one.
    package var port: Int = 8080
    /// The public origin Twilio reaches (`https://example.ngrok.app`), if configured.
    package var publicBaseURL: PublicBaseURL?
    package var logLevel: Logger.Level = .info

    package var twilioAccountSID: String?
    package var twilioAuthToken: Secret?
    /// Our Twilio number, E.164.
    package var twilioPhoneNumber: String?
    package var twilioAPIBaseURL: URL = URL(string: "https://api.twilio.com")!

    package var openAIAPIKey: Secret?
    package var openAIRealtimeURL: URL = URL(string: "wss://api.openai.com/v1/realtime")!
    package var openAIModel: String = "gpt-realtime-2.1"
    package var openAIVoice: String = "marin"
    /// Transcribes the caller for the call record; `none` turns it off.
    package var openAITranscriptionModel: String? = "gpt-realtime-whisper"
    /// Dollars per million tokens, for the estimated cost in call records.
    package var tokenPrices = TokenPrices()
    /// How long a tool call may take before the assistant is told it failed.
    package var toolDeadline: Duration = .seconds(8)

    /// An external booking MCP server; when unset the server hosts its own at `/mcp`.
    package var mcpServerURL: URL?
    package var mcpServerToken: Secret?
    package var database: Database = .sqlite(path: "./data/bookings.sqlite")

    /// The booking rules: the standard fleet, prices and calendar, changed by `BOOKING_POLICY_FILE` if given.
    package var bookingPolicy: BookingPolicy = .standard()

    /// Where `transfer_to_human` sends the caller, E.164; transfers are off when unset.
    package var transferNumber: String?
    package var businessName: String = "NYC Quick Movers"
    package var businessTimeZone: TimeZone = TimeZone(identifier: "America/New_York")!

    /// The defaults: a development server on port 8080 with every credential unset.
    package init() {}

    /// Reads the configuration from `environment` (the process environment by default) and the `.env`-style file
    /// at `environmentFile`, if it exists.
    package static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        environmentFile: String? = ".env"
    ) async throws -> VoiceServerConfiguration {
        let secrets = SecretsSpecifier<String, String>.specific(
            Set(ConfigurationVariable.allCases.filter(\.isSecret).map(\.name))
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
        return try VoiceServerConfiguration(reader: ConfigReader(providers: providers))
    }

    /// Reads and checks every ``ConfigurationVariable``.
    package init(reader: ConfigReader) throws(ConfigurationError) {
        let values = ConfigurationValues(reader: reader)

        if let text = values[.appEnv] {
            guard let environment = Environment(rawValue: text.lowercased()) else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.appEnv.name,
                    problem: "must be development or production, not \"\(text)\""
                )
            }
            self.environment = environment
        }
        if let host = values[.host] { self.host = host }
        if let text = values[.port] {
            guard let port = Int(text), (0...65535).contains(port) else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.port.name,
                    problem: "must be a whole number from 0 to 65535, not \"\(text)\""
                )
            }
            self.port = port
        }
        if let text = values[.publicBaseURL] {
            self.publicBaseURL = try PublicBaseURL(parsing: text, variable: ConfigurationVariable.publicBaseURL.name)
        }
        if let text = values[.logLevel] {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(
                    variable: ConfigurationVariable.logLevel.name,
                    problem: "must be one of \(levels), not \"\(text)\""
                )
            }
            self.logLevel = level
        }

        if let sid = values[.twilioAccountSID] {
            guard sid.hasPrefix("AC"), sid.count == 34, sid.dropFirst(2).allSatisfy(\.isHexDigit) else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.twilioAccountSID.name,
                    problem: "must be an account SID: AC followed by 32 hexadecimal digits"
                )
            }
            self.twilioAccountSID = sid
        }
        self.twilioAuthToken = values[.twilioAuthToken].map(Secret.init)
        self.twilioPhoneNumber = try values.phoneNumber(.twilioPhoneNumber)
        if let url = try values.url(.twilioAPIBaseURL, schemes: ["https", "http"]) {
            self.twilioAPIBaseURL = url
        }

        self.openAIAPIKey = values[.openAIAPIKey].map(Secret.init)
        if let url = try values.url(.openAIRealtimeURL, schemes: ["wss", "ws"]) {
            self.openAIRealtimeURL = url
        }
        if let model = values[.openAIModel] { self.openAIModel = model }
        if let voice = values[.openAIVoice] { self.openAIVoice = voice }
        if let model = values[.openAITranscriptionModel] {
            self.openAITranscriptionModel = model.lowercased() == "none" ? nil : model
        }
        if let text = values[.openAITokenPrices] {
            self.tokenPrices = try Self.tokenPrices(from: text)
        }
        if let text = values[.toolTimeoutSeconds] {
            guard let seconds = Double(text), seconds > 0, seconds <= 120 else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.toolTimeoutSeconds.name,
                    problem: "must be a number of seconds above 0 and at most 120, not \"\(text)\""
                )
            }
            self.toolDeadline = .milliseconds(Int64(seconds * 1000))
        }

        self.mcpServerURL = try values.url(.mcpServerURL, schemes: ["https", "http"])
        self.mcpServerToken = values[.mcpServerToken].map(Secret.init)
        if let text = values[.databaseURL] {
            self.database = try Self.database(from: text)
        }

        var bookingHorizonDays = BookingPolicy.standard().horizonDays
        if let text = values[.bookingHorizonDays] {
            guard let days = Int(text), (1...730).contains(days) else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.bookingHorizonDays.name,
                    problem: "must be a whole number of days from 1 to 730, not \"\(text)\""
                )
            }
            bookingHorizonDays = days
        }
        self.transferNumber = try values.phoneNumber(.transferNumber)
        if let name = values[.businessName] { self.businessName = name }
        if let identifier = values[.businessTimeZone] {
            guard let timeZone = TimeZone(identifier: identifier) else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.businessTimeZone.name,
                    problem: "must be an IANA time zone such as America/New_York, not \"\(identifier)\""
                )
            }
            self.businessTimeZone = timeZone
        }

        bookingPolicy = .standard(timeZone: businessTimeZone)
        bookingPolicy.horizonDays = bookingHorizonDays
        if let path = values[.bookingPolicyFile] {
            do {
                bookingPolicy = try BookingPolicyFile.load(path: path).applied(to: bookingPolicy)
            } catch {
                throw ConfigurationError(variable: ConfigurationVariable.bookingPolicyFile.name, problem: "\(error)")
            }
        }

        if environment == .production, twilioAuthToken == nil {
            throw ConfigurationError(
                variable: ConfigurationVariable.twilioAuthToken.name,
                problem: "is required when APP_ENV is production: without it Twilio's signatures cannot be checked"
            )
        }
    }

    /// Twilio's REST API with our account, when both the account SID and the auth token are set.
    package var twilioRESTClient: TwilioRESTClient? {
        guard let twilioAccountSID, let twilioAuthToken else { return nil }
        return TwilioRESTClient(baseURL: twilioAPIBaseURL, accountSid: twilioAccountSID, secret: twilioAuthToken.value)
    }

    /// What is switched off or unsafe for lack of configuration; logged once at start-up.
    package var startupWarnings: [String] {
        var warnings: [String] = []
        if twilioAuthToken == nil {
            warnings.append(
                "TWILIO_AUTH_TOKEN is not set: Twilio signatures are NOT checked (development only; production refuses to start)"
            )
        }
        if publicBaseURL == nil {
            warnings.append(
                "PUBLIC_BASE_URL is not set: webhook and stream URLs are rebuilt from the Host and X-Forwarded-* headers"
            )
        } else if publicBaseURL?.scheme != "https" {
            warnings.append("PUBLIC_BASE_URL is not https: Twilio only opens media streams over wss://")
        }
        if openAIAPIKey == nil {
            warnings.append("OPENAI_API_KEY is not set: calls cannot reach the assistant")
        }
        if twilioRESTClient == nil {
            warnings.append(
                "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not both set: end_call closes the media stream instead of "
                    + "hanging up through Twilio, and transfer_to_human is off"
            )
        }
        if twilioAccountSID == nil || twilioAuthToken == nil || twilioPhoneNumber == nil {
            warnings.append(
                "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER are not all set: SMS confirmations stay in the outbox"
            )
        }
        return warnings
    }

    /// `audio_in=32,cached_in=0.4,audio_out=64,text_in=4,text_out=16`: any of them, dollars per million tokens.
    private static func tokenPrices(from text: String) throws(ConfigurationError) -> TokenPrices {
        var prices = TokenPrices()
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let price = Double(parts[1]), price >= 0 else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.openAITokenPrices.name,
                    problem: "must be name=dollars pairs separated by commas, such as audio_in=32,audio_out=64"
                )
            }
            switch parts[0] {
            case "audio_in": prices.audioInput = price
            case "cached_in": prices.cachedInput = price
            case "audio_out": prices.audioOutput = price
            case "text_in": prices.textInput = price
            case "text_out": prices.textOutput = price
            default:
                throw ConfigurationError(
                    variable: ConfigurationVariable.openAITokenPrices.name,
                    problem: "knows audio_in, cached_in, audio_out, text_in and text_out, not \"\(parts[0])\""
                )
            }
        }
        return prices
    }

    private static func database(from text: String) throws(ConfigurationError) -> Database {
        guard let schemeEnd = text.range(of: "://") else {
            return .sqlite(path: text)
        }
        switch text[..<schemeEnd.lowerBound].lowercased() {
        case "postgres", "postgresql":
            guard let url = URL(string: text), url.host != nil else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.databaseURL.name,
                    problem: "is not a valid postgres:// URL"
                )
            }
            return .postgres(url: Secret(text))
        case "sqlite":
            return .sqlite(path: String(text[schemeEnd.upperBound...]))
        default:
            throw ConfigurationError(
                variable: ConfigurationVariable.databaseURL.name,
                problem: "must be a SQLite file path or a postgres:// URL"
            )
        }
    }
}

/// Reads raw values by variable; an empty or blank value counts as unset.
private struct ConfigurationValues {
    let reader: ConfigReader

    subscript(variable: ConfigurationVariable) -> String? {
        let key = ConfigKey(variable.name.lowercased().replacingOccurrences(of: "_", with: "."))
        guard let value = reader.string(forKey: key, isSecret: variable.isSecret) else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    func url(_ variable: ConfigurationVariable, schemes: [String]) throws(ConfigurationError) -> URL? {
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

    func phoneNumber(_ variable: ConfigurationVariable) throws(ConfigurationError) -> String? {
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
}
