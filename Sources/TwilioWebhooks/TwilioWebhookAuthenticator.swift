import HTTPTypes
import Hummingbird
import Logging
import TwilioMedia

/// A request context that carries the Twilio parameters ``TwilioWebhookAuthenticator`` decoded and checked.
package protocol TwilioWebhookRequestContext: RequestContext {
    /// The webhook's fields: the form body of a `POST`, the query of a `GET`.
    var twilioParameters: FormParameters { get set }
    /// Whether the request's connection comes from this machine (a tunnel such as ngrok forwards from loopback).
    var isFromLoopback: Bool { get }
}

/// Decodes a Twilio webhook's parameters and, when an auth token is configured, refuses it with `403` unless
/// `X-Twilio-Signature` matches (`../shared/protocols/twilio.md` §4).
package struct TwilioWebhookAuthenticator<Context: TwilioWebhookRequestContext>: RouterMiddleware {
    /// Twilio's webhook bodies are a few KiB; anything far larger is not Twilio.
    package static var maximumBodyBytes: Int { 64 * 1024 }

    /// `nil` in development without `TWILIO_AUTH_TOKEN`: requests are accepted unchecked, from this machine only.
    let validator: TwilioSignatureValidator?
    let urlResolver: PublicURLResolver

    package init(validator: TwilioSignatureValidator?, urlResolver: PublicURLResolver) {
        self.validator = validator
        self.urlResolver = urlResolver
    }

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var request = request
        var context = context
        // Signed parameters are the form body of a POST; a GET is signed on its URL alone.
        let signedParameters: FormParameters
        if request.method == .post {
            let body = try await request.collectBody(upTo: Self.maximumBodyBytes)
            signedParameters = FormParameters(formEncoded: String(buffer: body))
            context.twilioParameters = signedParameters
        } else {
            signedParameters = FormParameters()
            context.twilioParameters = FormParameters(formEncoded: request.uri.query ?? "")
        }

        guard let validator else {
            // Unchecked requests spend the operator's OpenAI credit: only from a local tunnel or test.
            guard context.isFromLoopback else {
                context.logger.warning("Refused an unsigned webhook from another machine: TWILIO_AUTH_TOKEN is not set")
                throw HTTPError(.forbidden, message: "Unsigned requests are accepted only from this machine.")
            }
            return try await next(request, context)
        }
        let url = urlResolver.webhookURL(for: request)
        guard let signature = request.headers[twilioSignatureHeader] else {
            context.logger.warning("Refused webhook without a Twilio signature", metadata: ["url": "\(url)"])
            throw HTTPError(.forbidden, message: "Missing X-Twilio-Signature.")
        }
        guard validator.isValid(signature: signature, url: url, parameters: signedParameters) else {
            context.logger.warning("Refused webhook with a wrong Twilio signature", metadata: ["url": "\(url)"])
            throw HTTPError(.forbidden, message: "Invalid X-Twilio-Signature.")
        }
        return try await next(request, context)
    }
}

/// `X-Twilio-Signature`, on webhooks and on the media stream's upgrade.
package let twilioSignatureHeader = HTTPField.Name("X-Twilio-Signature")!
