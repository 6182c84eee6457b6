import Booking
import Foundation
import Logging
import ServerConfiguration

/// What the booking system reads from its environment, checked once at start: the database, the booking rules, the
/// MCP token, and the Twilio account its texts are sent from. `voice-server booking-mcp` reads only these; the voice
/// server reads them too when it embeds the booking system.
package struct BookingServerConfiguration: Sendable {
    package var environment: AppEnvironment = .development
    package var logLevel: Logger.Level = .info
    /// The public origin Twilio reaches this server at; delivery reports come to `/sms/status` there.
    package var publicBaseURL: PublicBaseURL?
    package var twilio = TwilioAccount()
    package var database: DatabaseLocation = .sqlite(path: "./data/bookings.sqlite")
    /// `MCP_SERVER_TOKEN`: the bearer token clients of `/mcp` must present.
    package var mcpServerToken: Secret?
    package var businessName: String = "NYC Quick Movers"
    package var businessTimeZone: TimeZone = TimeZone(identifier: "America/New_York")!
    /// The booking rules: the standard fleet, prices and calendar, changed by `BOOKING_POLICY_FILE` if given.
    package var policy: BookingPolicy = .standard()

    /// The defaults: development, a SQLite file under `./data`, every credential unset.
    package init() {}

    package static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        environmentFile: String? = ".env"
    ) async throws -> BookingServerConfiguration {
        try BookingServerConfiguration(
            values: try await ConfigurationValues.load(environment: environment, environmentFile: environmentFile)
        )
    }

    package init(values: ConfigurationValues) throws(ConfigurationError) {
        environment = try values.appEnvironment()
        logLevel = try values.logLevel()
        publicBaseURL = try values.publicBaseURL()
        twilio = try values.twilioAccount()
        database = try values.database()
        mcpServerToken = values.secret(.mcpServerToken)
        if let name = values[.businessName] { businessName = name }
        businessTimeZone = try values.businessTimeZone()

        policy = .standard(timeZone: businessTimeZone)
        if let text = values[.bookingHorizonDays] {
            guard let days = Int(text), (1...730).contains(days) else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.bookingHorizonDays.name,
                    problem: "must be a whole number of days from 1 to 730, not \"\(text)\""
                )
            }
            policy.horizonDays = days
        }
        if let path = values[.bookingPolicyFile] {
            do {
                policy = try BookingPolicyFile.load(path: path).applied(to: policy)
            } catch {
                throw ConfigurationError(variable: ConfigurationVariable.bookingPolicyFile.name, problem: "\(error)")
            }
        }
        if let text = values[.smsAllowedCountries] {
            let codes = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            if let unknown = codes.first(where: { !PhoneCountry.isKnown($0) }) {
                throw ConfigurationError(
                    variable: ConfigurationVariable.smsAllowedCountries.name,
                    problem: "must be ISO country codes separated by commas, such as US,CA; \"\(unknown)\" is not one "
                        + "this server knows"
                )
            }
            policy.texts.allowedCountries = Set(codes)
        }
        if environment == .production, twilio.authToken == nil {
            throw ConfigurationError(
                variable: ConfigurationVariable.twilioAuthToken.name,
                problem: "is required when APP_ENV is production: without it Twilio's signatures cannot be checked"
            )
        }
    }

    /// Where Twilio reports the delivery of our texts, when the public origin is known.
    package var smsStatusCallback: String? {
        publicBaseURL.map { $0.origin + "/sms/status" }
    }
}
