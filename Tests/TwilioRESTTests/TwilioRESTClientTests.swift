import Foundation
import Testing
import TwilioREST
import VoiceTesting

/// The REST client against the fake Twilio API: credentials, form bodies, and Twilio's errors.
struct TwilioRESTClientTests {
    static let accountSid = "AC0123456789abcdef0123456789abcdef"
    static let authToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
    static let callSid = "CA" + String(repeating: "2", count: 32)

    static func withClient(
        secret: String = TwilioRESTClientTests.authToken,
        _ body: @Sendable (TwilioRESTClient, FakeTwilioREST) async throws -> Void
    ) async throws {
        try await FakeTwilioREST.run(accountSid: Self.accountSid, authToken: Self.authToken) { twilio in
            let client = TwilioRESTClient(baseURL: twilio.baseURL, accountSid: Self.accountSid, secret: secret)
            try await body(client, twilio)
        }
    }

    @Test func hangingUpPostsStatusCompletedToTheCall() async throws {
        try await Self.withClient { client, twilio in
            try await client.hangUp(callSid: Self.callSid)
            #expect(twilio.requests.map(\.resource) == ["Calls/\(Self.callSid).json"])
            #expect(twilio.requests.first?.form == ["Status": "completed"])
        }
    }

    @Test func aCallThatIsAlreadyOverCountsAsHungUp() async throws {
        try await Self.withClient { client, twilio in
            twilio.failNext(.init(status: 404, code: 20404, message: "The requested resource was not found"))
            try await client.hangUp(callSid: Self.callSid)
        }
    }

    @Test func twilioErrorsKeepTheirStatusCodeAndMessage() async throws {
        try await Self.withClient { client, twilio in
            twilio.failNext(.init(status: 400, code: 21220, message: "Call is not in-progress"))
            let error = await #expect(throws: TwilioRESTError.self) {
                try await client.redirect(callSid: Self.callSid, twiml: "<Response/>")
            }
            #expect(error == TwilioRESTError(status: 400, code: 21220, message: "Call is not in-progress"))
            #expect(twilio.requests.first?.form == ["Twiml": "<Response/>"])

            twilio.failNext(.init(status: 503, message: "Service Unavailable"))
            let unavailable = await #expect(throws: TwilioRESTError.self) {
                try await client.hangUp(callSid: Self.callSid)
            }
            #expect(unavailable?.status == 503)
            #expect(unavailable?.code == nil)
        }
    }

    @Test func wrongCredentialsAreRefused() async throws {
        try await Self.withClient(secret: "not-the-token") { client, twilio in
            let error = await #expect(throws: TwilioRESTError.self) {
                try await client.hangUp(callSid: Self.callSid)
            }
            #expect(error?.status == 401)
            #expect(error?.code == 20003)
            #expect(twilio.requests.isEmpty)
        }
    }

    @Test func aTextIsSentAndCanBeFoundAgain() async throws {
        try await Self.withClient { client, twilio in
            let sent = try await client.sendMessage(
                to: "+14155552671",
                from: "+15005550006",
                body: "Your move QM-7K3P9D is booked.",
                statusCallback: "https://voice.example-movers.com/sms/status"
            )
            #expect(sent.sid.hasPrefix("SM"))
            #expect(sent.status == "queued")
            #expect(twilio.messages.map(\.body) == ["Your move QM-7K3P9D is booked."])
            #expect(twilio.messages.first?.statusCallback == "https://voice.example-movers.com/sms/status")
            // The `+` of the numbers survives the query string.
            let found = try await client.messages(to: "+14155552671", from: "+15005550006", sentOnOrAfter: Date())
            #expect(found.map(\.sid) == [sent.sid])
            #expect(try await client.messages(to: "+14155550000", from: "+15005550006", sentOnOrAfter: Date()).isEmpty)
        }
    }

    @Test(
        arguments: [
            (400, 21211, TwilioRESTError.Kind.invalidNumber), (400, 21610, .unsubscribed), (400, 21614, .notMobile),
            (429, 20429, .rateLimited), (429, nil, .rateLimited), (500, nil, .serverError), (503, 20500, .serverError),
            (400, 21606, .other),
        ] as [(Int, Int?, TwilioRESTError.Kind)]
    )
    func messageErrorsAreClassified(status: Int, code: Int?, kind: TwilioRESTError.Kind) async throws {
        try await Self.withClient { client, twilio in
            twilio.failNext(.init(status: status, code: code))
            let error = await #expect(throws: TwilioRESTError.self) {
                try await client.sendMessage(to: "+14155552671", from: "+15005550006", body: "hi", statusCallback: nil)
            }
            #expect(error?.kind == kind)
            #expect(twilio.messages.isEmpty)
        }
    }
}
