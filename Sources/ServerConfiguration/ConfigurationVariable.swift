/// Every environment variable the voice server and the booking server read, with what it is for. `.env.example` documents each of them.
package enum ConfigurationVariable: String, CaseIterable, Sendable {
    case appEnv = "APP_ENV"
    case host = "HOST"
    case port = "PORT"
    case adminHost = "ADMIN_HOST"
    case adminPort = "ADMIN_PORT"
    case adminToken = "ADMIN_TOKEN"
    case publicBaseURL = "PUBLIC_BASE_URL"
    case logLevel = "LOG_LEVEL"
    case twilioAccountSID = "TWILIO_ACCOUNT_SID"
    case twilioAuthToken = "TWILIO_AUTH_TOKEN"
    case twilioAuthTokenSecondary = "TWILIO_AUTH_TOKEN_SECONDARY"
    case twilioPhoneNumber = "TWILIO_PHONE_NUMBER"
    case twilioAPIBaseURL = "TWILIO_API_BASE_URL"
    case openAIAPIKey = "OPENAI_API_KEY"
    case openAIRealtimeURL = "OPENAI_REALTIME_URL"
    case openAIModel = "OPENAI_MODEL"
    case openAIVoice = "OPENAI_VOICE"
    case openAITranscriptionModel = "OPENAI_TRANSCRIPTION_MODEL"
    case openAITokenPrices = "OPENAI_TOKEN_PRICES"
    case toolTimeoutSeconds = "TOOL_TIMEOUT_SECONDS"
    case mcpServerURL = "MCP_SERVER_URL"
    case mcpServerToken = "MCP_SERVER_TOKEN"
    case databaseURL = "DATABASE_URL"
    case bookingHorizonDays = "BOOKING_HORIZON_DAYS"
    case bookingPolicyFile = "BOOKING_POLICY_FILE"
    case transferNumber = "TRANSFER_NUMBER"
    case maxConcurrentCalls = "MAX_CONCURRENT_CALLS"
    case maxCallsPerNumberPerHour = "MAX_CALLS_PER_NUMBER_PER_HOUR"
    case overflowNumber = "OVERFLOW_NUMBER"
    case maxCallMinutes = "MAX_CALL_MINUTES"
    case silenceSeconds = "SILENCE_SECONDS"
    case realtimeSessionMaxSeconds = "REALTIME_SESSION_MAX_SECONDS"
    case drainSeconds = "DRAIN_SECONDS"
    case drainRedirectURL = "DRAIN_REDIRECT_URL"
    case recordCalls = "RECORD_CALLS"
    case smsAllowedCountries = "SMS_ALLOWED_COUNTRIES"
    case businessName = "BUSINESS_NAME"
    case businessTimeZone = "BUSINESS_TIMEZONE"

    /// The environment variable's name.
    package var name: String { rawValue }

    /// Values that are credentials: redacted by swift-configuration and wrapped in ``Secret``.
    package var isSecret: Bool {
        switch self {
        case .twilioAuthToken, .twilioAuthTokenSecondary, .adminToken, .openAIAPIKey, .mcpServerToken, .databaseURL:
            true
        default: false
        }
    }
}
