import Booking
import BookingSQL
import BookingServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing
import VoiceTesting

@testable import VoiceServer

/// `POST /sms/status`: signed delivery reports move outbox rows forward, never back.
struct SMSStatusRouteTests {
    static let url = TestValues.publicBaseURL + "/sms/status"

    /// The voice server with its embedded booking system, holding one confirmation that Twilio accepted as `sid`.
    static func withAcceptedMessage(
        sid: String,
        _ test: @escaping @Sendable (any TestClientProtocol, BookingSystem, OutboxMessage) async throws -> Void
    ) async throws {
        try await withVoiceServer { client, server in
            let system = try #require(server.bookingSystem)
            try await test(client, system, try await acceptedMessage(sid: sid, in: system))
        }
    }

    /// A confirmation of a test move, which Twilio accepted as `sid`.
    static func acceptedMessage(sid: String, in system: BookingSystem) async throws -> OutboxMessage {
        let job = try await system.service.bookTestMove()
        var message = try await system.service.confirmation(jobID: job.id, resend: false).message
        message.status = "queued"
        message.twilioSid = sid
        message.attempts = 1
        return try #require(
            try await system.store.updateOutboxMessage(message, expectedStatus: OutboxMessage.Status.pending)
        )
    }

    static func report(_ sid: String, _ status: String, errorCode: String? = nil) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("AccountSid", TestValues.accountSid), ("MessageSid", sid), ("SmsSid", sid), ("MessageStatus", status),
            ("SmsStatus", status), ("To", TestValues.callerNumber), ("From", "+15005550006"),
            ("ApiVersion", "2010-04-01"),
        ]
        if let errorCode { fields.append(("ErrorCode", errorCode)) }
        return fields
    }

    @Test func reportsMoveTheMessageForwardAndNeverBack() async throws {
        let sid = "SM" + String(repeating: "a", count: 32)
        try await Self.withAcceptedMessage(sid: sid) { client, system, message in
            for status in ["sent", "delivered", "sent", "queued"] {
                let response = try await client.postForm(
                    "/sms/status",
                    fields: Self.report(sid, status),
                    signedFor: Self.url
                )
                #expect(response.status == .noContent)
            }
            #expect(try await system.store.outboxMessage(id: message.id)?.status == "delivered")
        }
    }

    /// Twilio can report on a message before the sender has saved its SID: the report is kept for the sender
    /// (which applies it when it saves the SID: `OutboxSenderTests`).
    @Test func aReportForAMessageNotKnownYetIsKept() async throws {
        let sid = "SM" + String(repeating: "c", count: 32)
        try await withVoiceServer { client, server in
            let system = try #require(server.bookingSystem)
            let response = try await client.postForm(
                "/sms/status",
                fields: Self.report(sid, "undelivered", errorCode: "30003"),
                signedFor: Self.url
            )
            #expect(response.status == .noContent)
            let kept = try await system.store.takeDeliveryReport(twilioSid: sid)
            #expect(kept?.status == "undelivered")
            #expect(kept?.error?.contains("30003") == true)
            #expect(try await system.store.takeDeliveryReport(twilioSid: sid) == nil)
        }
    }

    @Test func aFailedDeliveryKeepsTwiliosErrorCode() async throws {
        let sid = "SM" + String(repeating: "b", count: 32)
        try await Self.withAcceptedMessage(sid: sid) { client, system, message in
            let response = try await client.postForm(
                "/sms/status",
                fields: Self.report(sid, "undelivered", errorCode: "30003"),
                signedFor: Self.url
            )
            #expect(response.status == .noContent)
            let row = try #require(try await system.store.outboxMessage(id: message.id))
            #expect(row.status == "undelivered")
            #expect(row.lastError?.contains("30003") == true)
        }
    }

    @Test func aBadlySignedReportIsRefusedAndChangesNothing() async throws {
        let sid = "SM" + String(repeating: "c", count: 32)
        try await Self.withAcceptedMessage(sid: sid) { client, system, message in
            let forged = try await client.postForm(
                "/sms/status",
                fields: Self.report(sid, "delivered"),
                signedFor: Self.url,
                token: "not-the-auth-token"
            )
            #expect(forged.status == .forbidden)
            let unsigned = try await client.postForm(
                "/sms/status",
                fields: Self.report(sid, "delivered"),
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            #expect(unsigned.status == .forbidden)
            #expect(try await system.store.outboxMessage(id: message.id)?.status == "queued")
        }
    }

    @Test func aReportWithoutItsFieldsIsABadRequest() async throws {
        let sid = "SM" + String(repeating: "d", count: 32)
        try await Self.withAcceptedMessage(sid: sid) { client, _, _ in
            let fields: [(name: String, value: String)] = [("AccountSid", TestValues.accountSid), ("MessageSid", sid)]
            let response = try await client.postForm("/sms/status", fields: fields, signedFor: Self.url)
            #expect(response.status == .badRequest)
        }
    }

    /// With a remote booking server the outbox is not the voice server's: delivery reports go to the booking server,
    /// and the voice server has no `/sms/status` (nor `/mcp`).
    @Test func aVoiceServerWithARemoteBookingServerTakesNoDeliveryReports() async throws {
        var environment = TestValues.environment
        environment["MCP_SERVER_URL"] = "http://127.0.0.1:9/mcp"
        try await withVoiceServer(environment: environment, tools: nil) { client, server in
            #expect(server.bookingSystem == nil)
            let response = try await client.postForm(
                "/sms/status",
                fields: Self.report("SM1", "delivered"),
                signedFor: Self.url
            )
            #expect(response.status == .notFound)
        }
    }
}
