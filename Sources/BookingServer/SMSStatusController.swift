import Booking
import Foundation
import Hummingbird
import Logging
import TwilioMedia
import TwilioWebhooks

/// `POST /sms/status`: Twilio's delivery reports for the confirmations we send, signed like the voice webhooks.
/// Each report moves the outbox row forward (`queued → sent → delivered`, or `failed` / `undelivered`); a late
/// report never moves it back.
/// Mounted by whichever server owns the outbox: the voice server with the booking system embedded, else
/// `booking-mcp`.
package struct SMSStatusController: Sendable {
    let store: any BookingStore

    package init(store: any BookingStore) {
        self.store = store
    }

    /// Adds `POST /sms/status` behind Twilio's signature check.
    package func addRoutes<Context: TwilioWebhookRequestContext>(
        to router: Router<Context>,
        authenticator: TwilioWebhookAuthenticator<Context>
    ) {
        router.group("sms").add(middleware: authenticator).post("status", use: status)
    }

    @Sendable func status<Context: TwilioWebhookRequestContext>(
        request: Request,
        context: Context
    ) async throws -> Response {
        let parameters = context.twilioParameters
        guard let sid = parameters["MessageSid"] ?? parameters["SmsSid"], !sid.isEmpty,
            let reported = parameters["MessageStatus"] ?? parameters["SmsStatus"], !reported.isEmpty
        else {
            throw HTTPError(.badRequest, message: "Missing MessageSid or MessageStatus.")
        }
        let errorText = parameters["ErrorCode"].flatMap { code in
            code.isEmpty ? nil : "Twilio error \(code)" + (parameters["ErrorMessage"].map { ": \($0)" } ?? "")
        }
        guard var message = try await store.outboxMessage(twilioSid: sid) else {
            // A report can come before the sender has saved the message's SID (Twilio answers the send and reports
            // at once): kept, and applied when the SID is saved.
            try await store.keepDeliveryReport(
                DeliveryReport(twilioSid: sid, status: reported, error: errorText, receivedAt: Date())
            )
            context.logger.info("Delivery report kept until its message is known", metadata: ["twilio_sid": "\(sid)"])
            return Response(status: .noContent)
        }
        let current = message.status
        guard OutboxMessage.progress(of: reported) > OutboxMessage.progress(of: current) else {
            context.logger.debug(
                "Delivery report out of order; kept the later status",
                metadata: ["twilio_sid": "\(sid)", "reported": "\(reported)", "kept": "\(current)"]
            )
            return Response(status: .noContent)
        }
        message.status = reported
        if let errorText { message.lastError = errorText }
        message.updatedAt = Date()
        // Compare-and-set: if another report changed the row meanwhile, the later of the two stays.
        if try await store.updateOutboxMessage(message, expectedStatus: current) != nil {
            context.logger.info(
                "Text message status",
                metadata: [
                    "twilio_sid": "\(sid)", "job_id": "\(message.jobID)", "status": "\(reported)",
                    "to": "\(MaskedPhoneNumber(message.recipient))",
                ]
            )
        }
        return Response(status: .noContent)
    }
}
