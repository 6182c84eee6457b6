import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TwilioMedia

/// A request context that carries the Twilio parameters ``TwilioWebhookAuthenticator`` decoded and checked.
package protocol TwilioWebhookRequestContext: RequestContext {
    /// The webhook's fields: the form body of a `POST`, the query of a `GET`.
    var twilioParameters: FormParameters { get set }
    /// Whether the request's connection comes from this machine (a tunnel such as ngrok forwards from loopback).
    var isFromLoopback: Bool { get }
    /// The connection's peer, when known.
    var remoteAddress: SocketAddress? { get }
}

/// Why a Twilio request was turned away, for the server's counters.
package enum TwilioRequestRefusal: Sendable, Equatable {
    /// Unsigned from another machine while no token is set, or without a valid signature.
    case badSignature
    /// From an address that sent too many bad signatures lately: answered `429`.
    case tooManyBadSignatures
}

/// Decodes a Twilio webhook's parameters and, when an auth token is configured, refuses it with `403` unless
/// `X-Twilio-Signature` matches (`../shared/protocols/twilio.md` §4). An address that keeps sending bad signatures
/// is answered `429` for a while (``BadSignatureLimiter``), before its body is read.
package struct TwilioWebhookAuthenticator<Context: TwilioWebhookRequestContext>: RouterMiddleware {
    /// Twilio's webhook bodies are a few KiB; anything far larger is not Twilio.
    package static var maximumBodyBytes: Int { 64 * 1024 }

    /// The validator for the tokens held now; `nil` in development without `TWILIO_AUTH_TOKEN`: requests are then
    /// accepted unchecked, from this machine only.
    let validator: @Sendable () -> TwilioSignatureValidator?
    let urlResolver: PublicURLResolver
    let limiter: BadSignatureLimiter?
    /// Told of every request turned away.
    let onRefusal: @Sendable (TwilioRequestRefusal) -> Void

    package init(
        validator: @escaping @Sendable () -> TwilioSignatureValidator?,
        urlResolver: PublicURLResolver,
        limiter: BadSignatureLimiter? = nil,
        onRefusal: @escaping @Sendable (TwilioRequestRefusal) -> Void = { _ in }
    ) {
        self.validator = validator
        self.urlResolver = urlResolver
        self.limiter = limiter
        self.onRefusal = onRefusal
    }

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let client = BadSignatureLimiter.clientAddress(peer: context.remoteAddress, headers: request.headers)
        if let limiter, let wait = limiter.retryAfter(client) {
            onRefusal(.tooManyBadSignatures)
            throw HTTPError(
                .tooManyRequests,
                headers: [.retryAfter: "\(max(1, wait.components.seconds))"],
                message: "Too many requests with bad signatures."
            )
        }
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

        guard let validator = validator() else {
            // Unchecked requests spend the operator's OpenAI credit: only from a local tunnel or test.
            guard context.isFromLoopback else {
                refuse(
                    client,
                    logger: context.logger,
                    "Refused an unsigned webhook from another machine: TWILIO_AUTH_TOKEN is not set"
                )
                throw HTTPError(.forbidden, message: "Unsigned requests are accepted only from this machine.")
            }
            return try await next(request, context)
        }
        let url = urlResolver.webhookURL(for: request)
        guard let signature = request.headers[twilioSignatureHeader] else {
            refuse(client, logger: context.logger, "Refused webhook without a Twilio signature", url: url)
            throw HTTPError(.forbidden, message: "Missing X-Twilio-Signature.")
        }
        guard validator.isValid(signature: signature, url: url, parameters: signedParameters) else {
            refuse(client, logger: context.logger, "Refused webhook with a wrong Twilio signature", url: url)
            throw HTTPError(.forbidden, message: "Invalid X-Twilio-Signature.")
        }
        return try await next(request, context)
    }

    /// Counts and logs a bad signature from `client`.
    private func refuse(_ client: String, logger: Logger, _ message: Logger.Message, url: String? = nil) {
        onRefusal(.badSignature)
        var metadata: Logger.Metadata = ["client": "\(client)"]
        if let url { metadata["url"] = "\(url)" }
        logger.warning(message, metadata: metadata)
        limiter?.recordFailure(client, logger: logger)
    }
}

/// `X-Twilio-Signature`, on webhooks and on the media stream's upgrade.
package let twilioSignatureHeader = HTTPField.Name("X-Twilio-Signature")!
