import ServerConfiguration
import TwilioREST

extension TwilioAccount {
    /// Twilio's REST API with this account, when both the account SID and the auth token are set.
    package var restClient: TwilioRESTClient? {
        guard let accountSID, let authToken else { return nil }
        return TwilioRESTClient(baseURL: apiBaseURL, accountSid: accountSID, secret: authToken.value)
    }

    /// Twilio's REST API with this account and the auth token `secrets` holds at each request, when both the
    /// account SID and a token were set at start.
    package func restClient(secrets: SecretStore) -> TwilioRESTClient? {
        guard let accountSID, let authToken else { return nil }
        return TwilioRESTClient(baseURL: apiBaseURL, accountSid: accountSID) {
            secrets[.twilioAuthToken]?.value ?? authToken.value
        }
    }
}
