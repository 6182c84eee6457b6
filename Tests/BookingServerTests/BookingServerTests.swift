import Booking
import BookingSQL
import BookingServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TwilioMedia
import VoiceTesting

/// The standalone booking server (`booking-mcp`): it owns the outbox, so Twilio's delivery reports come to it.
@Suite(.timeLimit(.minutes(1)))
struct BookingServerTests {
    static let authToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
    static let publicBaseURL = "https://booking.example-movers.com"

    static func withBookingServer(
        _ test: @escaping @Sendable (any TestClientProtocol, BookingServer) async throws -> Void
    ) async throws {
        try await withTemporaryBookingServer(
            .router,
            environment: ["TWILIO_AUTH_TOKEN": authToken, "PUBLIC_BASE_URL": publicBaseURL],
            test
        )
    }

    static func postReport(
        _ client: any TestClientProtocol,
        sid: String,
        status: String,
        token: String = authToken
    ) async throws -> TestResponse {
        let parameters = FormParameters([("MessageSid", sid), ("MessageStatus", status)])
        let signature = TwilioSignatureValidator(authToken: token).signature(
            url: publicBaseURL + "/sms/status",
            parameters: parameters
        )
        return try await client.execute(
            uri: "/sms/status",
            method: .post,
            headers: [
                .contentType: "application/x-www-form-urlencoded", HTTPField.Name("X-Twilio-Signature")!: signature,
            ],
            body: ByteBuffer(string: parameters.formEncoded)
        )
    }

    @Test func aSignedDeliveryReportMovesTheOutboxRowForward() async throws {
        try await Self.withBookingServer { client, server in
            let service = server.system.service
            let job = try await service.bookTestMove()
            var message = try await service.confirmation(jobID: job.id, resend: false).message
            message.status = "queued"
            message.twilioSid = "SM" + String(repeating: "a", count: 32)
            _ = try await server.system.store.updateOutboxMessage(message, expectedStatus: OutboxMessage.Status.pending)

            let forged = try await Self.postReport(client, sid: message.twilioSid!, status: "delivered", token: "wrong")
            #expect(forged.status == .forbidden)
            #expect(try await server.system.store.outboxMessage(twilioSid: message.twilioSid!)?.status == "queued")

            let response = try await Self.postReport(client, sid: message.twilioSid!, status: "delivered")
            #expect(response.status == .noContent)
            #expect(try await server.system.store.outboxMessage(twilioSid: message.twilioSid!)?.status == "delivered")
        }
    }

    @Test func healthSaysOK() async throws {
        try await Self.withBookingServer { client, _ in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).contains(#""status":"ok""#))
        }
    }
}
