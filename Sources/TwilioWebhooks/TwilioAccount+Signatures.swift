import ServerConfiguration
import TwilioMedia

extension TwilioAccount {
    /// Checks Twilio's signatures with the auth token, and the secondary one while it is rotated; `nil` without an
    /// auth token (development only: requests are then accepted unchecked).
    package var signatureValidator: TwilioSignatureValidator? {
        authToken.map { TwilioSignatureValidator(authToken: $0.value, secondaryAuthToken: secondaryAuthToken?.value) }
    }
}

extension SecretStore {
    /// The validator for the Twilio tokens held now (`TWILIO_AUTH_TOKEN` and `…_SECONDARY`); `nil` without a token.
    package var twilioSignatureValidator: TwilioSignatureValidator? {
        let secrets = snapshot
        return secrets[.twilioAuthToken].map {
            TwilioSignatureValidator(authToken: $0.value, secondaryAuthToken: secrets[.twilioAuthTokenSecondary]?.value)
        }
    }
}
