import ServerConfiguration
import TwilioREST

extension TwilioAccount {
    /// Twilio's REST API with this account, when both the account SID and the auth token are set.
    package var restClient: TwilioRESTClient? {
        guard let accountSID, let authToken else { return nil }
        return TwilioRESTClient(baseURL: apiBaseURL, accountSid: accountSID, secret: authToken.value)
    }
}
