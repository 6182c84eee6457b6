import BookingServer
import CallRecords
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServerConfiguration
import TwilioMedia
import TwilioWebhooks

/// `POST /voice/incoming` answers a call with TwiML that connects the media stream; `/voice/status` records the
/// call's status callbacks. Both sit behind ``TwilioWebhookAuthenticator``.
package struct VoiceWebhookController: Sendable {
    let configuration: VoiceServerConfiguration
    let callRegistry: CallRegistry
    let urlResolver: PublicURLResolver
    /// Signs each stream's parameters with the Twilio token held now; `nil` without `TWILIO_AUTH_TOKEN`.
    let validator: @Sendable () -> TwilioSignatureValidator?
    /// Where calls are recorded; `nil` keeps no records.
    var callRecords: (any CallRecordStore)? = nil
    /// Counts the calls turned away.
    var metrics: ServerMetrics? = nil
    /// While it drains, new calls are sent elsewhere.
    var drain: CallDrain? = nil

    package func addRoutes(to group: RouterGroup<VoiceRequestContext>) {
        group.post("incoming", use: incoming)
        group.post("status", use: status)
        group.get("status", use: status)
        group.post("recording-status", use: recordingStatus)
    }

    /// Names of the `<Parameter>`s the media stream's `start` message carries.
    package enum StreamParameter {
        package static let callSid = "callSid"
        package static let from = "from"
        package static let to = "to"
        /// Twilio's SHAKEN/STIR result for the caller's number (`StirVerstat`), when the call had one.
        package static let stirVerstat = "stirVerstat"
        /// When the webhook answered, in Unix seconds: bound by the token, so a recorded stream cannot be replayed
        /// later.
        package static let issuedAt = "issuedAt"
        package static let streamToken = "streamToken"
    }

    @Sendable func incoming(request: Request, context: VoiceRequestContext) async throws -> Response {
        let parameters = context.twilioParameters
        guard let callSid = parameters["CallSid"], !callSid.isEmpty else {
            throw HTTPError(.badRequest, message: "Missing CallSid.")
        }
        if let ours = configuration.booking.twilio.accountSID, let theirs = parameters["AccountSid"], theirs != ours {
            context.logger.warning("Refused a call for another Twilio account", metadata: ["call_sid": "\(callSid)"])
            metrics?.refused(.wrongAccount)
            throw HTTPError(.forbidden, message: "AccountSid does not match.")
        }
        let from = parameters["From"]
        let to = parameters["To"]
        if drain?.isDraining == true {
            let twiml: RefusalTwiML =
                if let url = configuration.drainRedirectURL {
                    .redirect(url: url.absoluteString)
                } else {
                    .busy(
                        message: "Thank you for calling \(configuration.booking.businessName). We are restarting our "
                            + "phone line. Please call again in a minute."
                    )
                }
            context.logger.notice(
                "Call sent elsewhere: the server is shutting down",
                metadata: ["call_sid": "\(callSid)", "from": "\(MaskedPhoneNumber(from))"]
            )
            metrics?.refused(.draining)
            return Self.xmlResponse(twiml.xml)
        }
        let admission = await callRegistry.admit(
            callSid: callSid,
            from: from,
            to: to,
            limits: configuration.admissionLimits,
            at: Date()
        )
        if let refusal = refusal(for: admission) {
            context.logger.warning(
                "Call turned away",
                metadata: [
                    "call_sid": "\(callSid)", "from": "\(MaskedPhoneNumber(from))",
                    "reason": "\(refusal.reason.rawValue)",
                ]
            )
            metrics?.refused(refusal.reason)
            return Self.xmlResponse(refusal.twiml.xml)
        }
        do {
            try await callRecords?.callStarted(callSid: callSid, caller: from, at: Date())
        } catch {
            context.logger.warning(
                "Call record not started",
                metadata: ["call_sid": "\(callSid)", "reason": "\(error)"]
            )
        }
        context.logger.info(
            "Incoming call",
            metadata: [
                "call_sid": "\(callSid)",
                "from": "\(MaskedPhoneNumber(from))",
                "to": "\(MaskedPhoneNumber(to))",
            ]
        )

        var streamParameters: [(name: String, value: String)] = [(StreamParameter.callSid, callSid)]
        // Twilio refuses parameter values of 500 characters or more; a caller ID that long is not a number anyway.
        if let from, from.count < 500 { streamParameters.append((StreamParameter.from, from)) }
        if let to, to.count < 500 { streamParameters.append((StreamParameter.to, to)) }
        if let verstat = parameters["StirVerstat"], verstat.count < 500 {
            streamParameters.append((StreamParameter.stirVerstat, verstat))
        }
        if let validator = validator() {
            streamParameters.append((StreamParameter.issuedAt, String(Int(Date().timeIntervalSince1970))))
            // The token covers every parameter the stream will carry: a changed `from` is refused at `start`.
            let bound = Dictionary(streamParameters.map { ($0.name, $0.value) }) { first, _ in first }
            streamParameters.append(
                (StreamParameter.streamToken, validator.streamToken(callSid: callSid, parameters: bound))
            )
        }
        let twiml = StreamTwiML(
            streamURL: urlResolver.streamURL(for: request),
            parameters: streamParameters,
            apology:
                "Sorry, \(configuration.booking.businessName) cannot take your call right now. Please call again in a few minutes."
        )
        return Self.xmlResponse(twiml.xml)
    }

    /// The `StirVerstat` that vouches for the caller's number: the carrier knows the customer and their right to
    /// the number (SHAKEN/STIR attestation A).
    package static let fullAttestation = "TN-Validation-Passed-A"

    /// What a call that is not taken hears, and why; `nil` when it is taken.
    private func refusal(for admission: CallRegistry.Admission) -> (reason: Refusal, twiml: RefusalTwiML)? {
        switch admission {
        case .admitted:
            return nil
        case .busy:
            if let overflowNumber = configuration.overflowNumber {
                return (.busy, .overflow(number: overflowNumber))
            }
            let message =
                "Thank you for calling \(configuration.booking.businessName). All our lines are busy right now. "
                + "Please call again in a few minutes."
            return (.busy, .busy(message: message))
        case .tooManyCallsFromNumber:
            return (.tooManyCallsFromNumber, .reject)
        }
    }

    /// Twilio's recording status callback (`RECORD_CALLS`): kept with the call, for the dashboard to play.
    @Sendable func recordingStatus(request: Request, context: VoiceRequestContext) async throws -> Response {
        let parameters = context.twilioParameters
        guard let callSid = parameters["CallSid"], !callSid.isEmpty,
            let recordingSid = parameters["RecordingSid"], !recordingSid.isEmpty,
            let recordingStatus = parameters["RecordingStatus"], !recordingStatus.isEmpty
        else {
            throw HTTPError(.badRequest, message: "Missing CallSid, RecordingSid or RecordingStatus.")
        }
        try await callRecords?.append(
            .recording(
                sid: recordingSid,
                status: recordingStatus,
                durationSeconds: parameters["RecordingDuration"].flatMap { Int($0) }
            ),
            callSid: callSid,
            at: Date()
        )
        context.logger.info(
            "Recording status",
            metadata: ["call_sid": "\(callSid)", "recording_sid": "\(recordingSid)", "status": "\(recordingStatus)"]
        )
        return Self.xmlResponse(#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#)
    }

    @Sendable func status(request: Request, context: VoiceRequestContext) async throws -> Response {
        let parameters = context.twilioParameters
        guard let callSid = parameters["CallSid"], !callSid.isEmpty,
            let callStatus = parameters["CallStatus"], !callStatus.isEmpty
        else {
            throw HTTPError(.badRequest, message: "Missing CallSid or CallStatus.")
        }
        let update = CallRegistry.StatusUpdate(
            status: callStatus,
            sequenceNumber: parameters["SequenceNumber"].flatMap { Int($0) },
            durationSeconds: parameters["CallDuration"].flatMap { Int($0) },
            receivedAt: Date()
        )
        await callRegistry.statusReceived(callSid: callSid, update: update)
        do {
            try await callRecords?.append(
                .status(callStatus, durationSeconds: update.durationSeconds),
                callSid: callSid,
                at: update.receivedAt
            )
        } catch {
            context.logger.warning(
                "Call status not recorded",
                metadata: ["call_sid": "\(callSid)", "reason": "\(error)"]
            )
        }
        context.logger.info(
            "Call status",
            metadata: ["call_sid": "\(callSid)", "status": "\(callStatus)"]
        )
        return Self.xmlResponse(#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#)
    }

    private static func xmlResponse(_ xml: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/xml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: xml))
        )
    }
}
