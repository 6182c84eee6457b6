import BookingServer
import CallRecords
import Foundation
import ServerConfiguration

/// Everything the voice server reads from its environment, checked once at start-up.
///
/// Values come from the process environment, then from a `.env` file if one exists (the environment wins).
/// A value that is present but unusable throws a ``ConfigurationError`` naming the variable; an empty value counts
/// as unset. The variables the booking system reads (the database, the rules, the Twilio account, the business) are
/// in ``booking``, read the same way whether the booking system is embedded or not.
package struct VoiceServerConfiguration: Sendable {
    /// The shared and booking variables: `APP_ENV`, `LOG_LEVEL`, `PUBLIC_BASE_URL`, `TWILIO_*`, `DATABASE_URL`,
    /// `MCP_SERVER_TOKEN`, `BUSINESS_*`, `BOOKING_*`.
    package var booking = BookingServerConfiguration()
    /// Address to listen on.
    package var host: String = "0.0.0.0"
    /// TCP port to listen on; 0 picks a free one.
    package var port: Int = 8080
    /// The admin listener (`/metrics`, the embedded `/mcp`): loopback unless `ADMIN_TOKEN` guards it.
    package var adminHost: String = "127.0.0.1"
    package var adminPort: Int = 9090
    package var adminToken: Secret?

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

    /// Where `transfer_to_human` sends the caller, E.164; transfers are off when unset.
    package var transferNumber: String?

    /// Calls taken at once; beyond it callers hear that the lines are busy, or go to ``overflowNumber``. The
    /// default is what one instance carries on a 2-core machine with relay p99 under 20 ms (README, `bench`).
    package var maxConcurrentCalls: Int = Self.defaultMaxConcurrentCalls
    package static let defaultMaxConcurrentCalls = 100
    /// Calls answered from one number in any hour; more are rejected unanswered.
    package var maxCallsPerNumberPerHour: Int = 10
    /// Where callers go when every line is taken, E.164; unset, they hear that the lines are busy.
    package var overflowNumber: String?
    /// `MAX_CALL_MINUTES`: then the assistant wraps up and the call ends.
    package var maxCallDuration: Duration = .seconds(30 * 60)
    /// `SILENCE_SECONDS`: a silent caller is asked if they are still there; `nil` (`0`) turns it off.
    package var silenceTimeout: Duration? = .seconds(10)
    /// `REALTIME_SESSION_MAX_SECONDS`: a Realtime session is rolled over this long after it opened, before the
    /// service's 60-minute limit.
    package var realtimeSessionMaxDuration: Duration = .seconds(3300)
    /// `DRAIN_SECONDS`: on `SIGTERM`, live calls may go on this long before they are asked to say goodbye. The
    /// platform must wait at least this long (plus about a minute) before it kills the process.
    package var drainDuration: Duration = .seconds(300)
    /// `DRAIN_REDIRECT_URL`: while draining, new calls are redirected (TwiML `<Redirect>`) to this webhook, on
    /// another instance; unset, they are told the lines are busy.
    package var drainRedirectURL: URL?
    /// `RECORD_CALLS`: each call is recorded through Twilio's REST API, both channels, once its stream starts; the
    /// greeting says so first, and the dashboard plays the recording.
    package var recordCalls = false

    /// Reads the configuration again from where ``load(environment:environmentFile:)`` read it (the environment,
    /// `.env`, and the `*_FILE` secrets, which may have changed); `nil` for a configuration made in code.
    package var reload: (@Sendable () async throws -> VoiceServerConfiguration)?

    /// The defaults: a development server on port 8080 with every credential unset.
    package init() {}

    /// The credentials that may change while the server runs (``SecretStore``, reloaded on `SIGHUP`).
    /// `DATABASE_URL` is read once, at start.
    package var secrets: [ConfigurationVariable: Secret] {
        var secrets: [ConfigurationVariable: Secret] = [:]
        secrets[.openAIAPIKey] = openAIAPIKey
        secrets[.twilioAuthToken] = booking.twilio.authToken
        secrets[.twilioAuthTokenSecondary] = booking.twilio.secondaryAuthToken
        secrets[.adminToken] = adminToken
        secrets[.mcpServerToken] = booking.mcpServerToken
        return secrets
    }

    /// Reads the configuration from `environment` (the process environment by default) and the `.env`-style file
    /// at `environmentFile`, if it exists.
    package static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        environmentFile: String? = ".env"
    ) async throws -> VoiceServerConfiguration {
        var configuration = try VoiceServerConfiguration(
            values: try await ConfigurationValues.load(environment: environment, environmentFile: environmentFile)
        )
        configuration.reload = { try await load(environment: environment, environmentFile: environmentFile) }
        return configuration
    }

    /// Reads and checks every ``ConfigurationVariable``.
    package init(values: ConfigurationValues) throws(ConfigurationError) {
        booking = try BookingServerConfiguration(values: values)
        if let host = values[.host] { self.host = host }
        if let port = try values.port(.port) { self.port = port }
        if let host = values[.adminHost] { self.adminHost = host }
        if let port = try values.port(.adminPort) { self.adminPort = port }
        self.adminToken = values.secret(.adminToken)
        if adminToken == nil, !isLoopback(host: adminHost) {
            throw ConfigurationError(
                variable: ConfigurationVariable.adminToken.name,
                problem:
                    "is required when ADMIN_HOST is not loopback (\(adminHost)): /metrics and /mcp would be open to anyone"
            )
        }

        self.openAIAPIKey = values.secret(.openAIAPIKey)
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
        self.transferNumber = try values.phoneNumber(.transferNumber)
        if let count = try values.wholeNumber(.maxConcurrentCalls, in: 1...100_000) { self.maxConcurrentCalls = count }
        if let count = try values.wholeNumber(.maxCallsPerNumberPerHour, in: 1...10_000) {
            self.maxCallsPerNumberPerHour = count
        }
        self.overflowNumber = try values.phoneNumber(.overflowNumber)
        if let text = values[.maxCallMinutes] {
            guard let minutes = Double(text), minutes > 0, minutes <= 240 else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.maxCallMinutes.name,
                    problem: "must be a number of minutes above 0 and at most 240, not \"\(text)\""
                )
            }
            self.maxCallDuration = .milliseconds(Int64(minutes * 60_000))
        }
        if let text = values[.silenceSeconds] {
            guard let seconds = Double(text), seconds >= 0, seconds <= 300 else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.silenceSeconds.name,
                    problem: "must be a number of seconds from 0 (off) to 300, not \"\(text)\""
                )
            }
            self.silenceTimeout = seconds == 0 ? nil : .milliseconds(Int64(seconds * 1000))
        }
        if let seconds = try values.wholeNumber(.drainSeconds, in: 0...3600) {
            self.drainDuration = .seconds(seconds)
        }
        self.drainRedirectURL = try values.url(.drainRedirectURL, schemes: ["https", "http"])
        if let text = values[.recordCalls] {
            switch text.lowercased() {
            case "true", "1", "yes", "on": self.recordCalls = true
            case "false", "0", "no", "off": self.recordCalls = false
            default:
                throw ConfigurationError(
                    variable: ConfigurationVariable.recordCalls.name,
                    problem: "must be true or false, not \"\(text)\""
                )
            }
        }
        if let text = values[.realtimeSessionMaxSeconds] {
            // The service ends a session at 60 minutes: the rollover must come before, with time to find a pause.
            guard let seconds = Double(text), seconds >= 1, seconds <= 3540 else {
                throw ConfigurationError(
                    variable: ConfigurationVariable.realtimeSessionMaxSeconds.name,
                    problem: "must be a number of seconds from 1 to 3540 (the service ends sessions at 3600), "
                        + "not \"\(text)\""
                )
            }
            self.realtimeSessionMaxDuration = .milliseconds(Int64(seconds * 1000))
        }
    }

    /// The limits new calls are admitted under.
    package var admissionLimits: CallRegistry.AdmissionLimits {
        CallRegistry.AdmissionLimits(
            maximumConcurrentCalls: maxConcurrentCalls,
            maximumCallsPerNumberPerHour: maxCallsPerNumberPerHour
        )
    }

    /// What is switched off or unsafe for lack of configuration; logged once at start-up.
    package var startupWarnings: [String] {
        var warnings: [String] = []
        let twilio = booking.twilio
        if twilio.authToken == nil {
            warnings.append(
                "TWILIO_AUTH_TOKEN is not set: Twilio signatures are NOT checked, and only requests from this machine are taken (development only; production refuses to start)"
            )
        }
        if recordCalls, twilio.accountSID == nil || twilio.authToken == nil {
            warnings.append(
                "RECORD_CALLS is on but TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not both set: calls cannot be recorded"
            )
        }
        if booking.publicBaseURL == nil {
            warnings.append(
                "PUBLIC_BASE_URL is not set: webhook and stream URLs are rebuilt from the Host and X-Forwarded-* headers"
            )
        } else if booking.publicBaseURL?.scheme != "https" {
            warnings.append("PUBLIC_BASE_URL is not https: Twilio only opens media streams over wss://")
        }
        if openAIAPIKey == nil {
            warnings.append("OPENAI_API_KEY is not set: calls cannot reach the assistant")
        }
        if twilio.restClient == nil {
            warnings.append(
                "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not both set: end_call closes the media stream instead of "
                    + "hanging up through Twilio, and transfer_to_human is off"
            )
        }
        if mcpServerURL == nil, !twilio.canSendTexts {
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
}
