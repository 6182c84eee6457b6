import Booking
import BookingSQL
import BookingServer
import CallRecords
import CallRecordsSQL
import Dashboard
import Foundation
import NIOHTTP1
import Testing
import VoiceTesting

@testable import VoiceServer

/// The office's dashboard (issue 17): sign-in, sessions, CSRF, escaping, paging and filters, staff actions.
@Suite(.timeLimit(.minutes(2)))
struct DashboardRouteTests {
    static let token = "dashboard-admin-token-0001"

    static var environment: [String: String] {
        var environment = TestValues.environment
        environment["ADMIN_TOKEN"] = token
        return environment
    }

    /// The server with `ADMIN_TOKEN` set, and a client for its dashboard.
    func withDashboard(
        environment: [String: String] = DashboardRouteTests.environment,
        _ test: @escaping @Sendable (DashboardClient, VoiceApplication) async throws -> Void
    ) async throws {
        try await withVoiceServer(environment: environment) { _, server in
            let client = try await DashboardClient(server)
            do {
                try await test(client, server)
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    @Test func pagesNeedASignInAndTheLoginFormTakesOnlyTheAdminToken() async throws {
        try await withDashboard { client, _ in
            for path in ["/dashboard", "/dashboard/calls", "/dashboard/moves", "/dashboard/texts"] {
                let page = try await client.get(path)
                #expect(page.status == 303, "\(path)")
                #expect(page.location == "/dashboard/login", "\(path)")
            }
            let wrong = try await client.signIn(token: "not-the-token")
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("That is not the admin token."))
            #expect(client.cookies["dashboard_session"] == nil)

            let signedIn = try await client.signIn(token: Self.token)
            #expect(signedIn.status == 303)
            #expect(signedIn.location == "/dashboard")
            let cookie = try #require(client.cookies["dashboard_session"]).line
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("Path=/dashboard"))
            // Not Secure on the plain loopback listener; behind an https proxy it is (next test).
            #expect(!cookie.contains("Secure"))
            let today = try await client.get("/dashboard")
            #expect(today.status == 200)
            #expect(today.body.contains("Calls in progress"))
            #expect(today.headers.first(name: "Content-Security-Policy")?.contains("default-src 'none'") == true)
            #expect(today.headers.first(name: "Cache-Control") == "no-store")
        }
    }

    @Test func behindAnHTTPSProxyTheSessionCookieIsSecure() async throws {
        try await withDashboard { client, _ in
            let form = try await client.get("/dashboard/login")
            _ = try await client.post(
                "/dashboard/login",
                [("csrf", form.csrf ?? ""), ("token", Self.token)],
                extraHeaders: [("X-Forwarded-Proto", "https")]
            )
            #expect(try #require(client.cookies["dashboard_session"]).line.contains("Secure"))
        }
    }

    @Test func aSignInWithoutTheLoginFormsTokenIsRefused() async throws {
        try await withDashboard { client, _ in
            _ = try await client.get("/dashboard/login")
            let forged = try await client.post("/dashboard/login", [("csrf", "forged"), ("token", Self.token)])
            #expect(forged.status == 403)
            #expect(client.cookies["dashboard_session"] == nil)
        }
    }

    @Test func tenWrongTokensInAMinutePauseSignIn() async throws {
        try await withDashboard { client, _ in
            for _ in 0..<10 { #expect(try await client.signIn(token: "guess").status == 401) }
            let paused = try await client.signIn(token: Self.token)
            #expect(paused.status == 429)
            #expect(client.cookies["dashboard_session"] == nil)
        }
    }

    @Test func withoutAnAdminTokenTheDashboardIsOffAndSaysHowToTurnItOn() async throws {
        try await withDashboard(environment: TestValues.environment) { client, _ in
            let login = try await client.get("/dashboard/login")
            #expect(login.status == 200)
            #expect(login.body.contains("set <code>ADMIN_TOKEN</code>"))
            #expect(try await client.get("/dashboard").status == 303)
            #expect(try await client.signIn(token: "").status == 200)
            #expect(client.cookies["dashboard_session"] == nil)
        }
    }

    @Test func anExpiredSessionSignsOutAndSignOutEndsTheSessionEverywhere() async throws {
        try await withDashboard { client, server in
            let sessions = DashboardSessionStore(storage: server.callRecords.storage)
            let (expired, _) = try await sessions.create(
                adminToken: Self.token,
                now: Date().addingTimeInterval(-13 * 3600)
            )
            client.set(cookie: "dashboard_session", value: expired)
            #expect(try await client.get("/dashboard").location == "/dashboard/login")
            // A session begun with another admin token (before a rotation) opens nothing.
            let (rotated, _) = try await sessions.create(adminToken: "the-token-before-rotation")
            client.set(cookie: "dashboard_session", value: rotated)
            #expect(try await client.get("/dashboard").location == "/dashboard/login")
            let (current, _) = try await sessions.create(adminToken: Self.token)
            client.set(cookie: "dashboard_session", value: current)
            #expect(try await client.get("/dashboard").status == 200)

            try await client.signIn(token: Self.token)
            let cookie = try #require(client.cookies["dashboard_session"]).value
            let today = try await client.get("/dashboard")
            #expect(today.status == 200)
            let signedOut = try await client.post("/dashboard/logout", [("csrf", today.csrf ?? "")])
            #expect(signedOut.location == "/dashboard/login")
            // The old cookie, replayed, no longer opens anything.
            client.set(cookie: "dashboard_session", value: cookie)
            #expect(try await client.get("/dashboard").location == "/dashboard/login")
        }
    }

    @Test func aStaffActionWithoutTheSessionsCSRFTokenIsRefusedAndChangesNothing() async throws {
        try await withDashboard { client, server in
            let booking = try #require(server.bookingSystem)
            let job = try await booking.service.bookTestMove()
            try await client.signIn(token: Self.token)
            let page = try await client.get("/dashboard/moves/\(job.id)")
            #expect(page.status == 200)
            let csrf = try #require(page.csrf)

            let forged = try await client.post("/dashboard/moves/\(job.id)/cancel", [("csrf", "forged")])
            #expect(forged.status == 403)
            let missing = try await client.post("/dashboard/moves/\(job.id)/cancel", [])
            #expect(missing.status == 403)
            #expect(try await booking.service.job(id: job.id).status == job.status)

            let cancelled = try await client.post("/dashboard/moves/\(job.id)/cancel", [("csrf", csrf)])
            #expect(cancelled.status == 303)
            #expect(cancelled.location == "/dashboard/moves/\(job.id)?done=cancel")
            let after = try await booking.service.job(id: job.id)
            #expect(after.status == .cancelled)
            #expect(after.updatedBy == "staff")
            let history = try await booking.store.history(jobID: job.id)
            #expect(history.last?.by == "staff")
            let shown = try await client.get("/dashboard/moves/\(job.id)?done=cancel")
            #expect(shown.body.contains("The move is cancelled."))
            #expect(!shown.body.contains("Cancel move"))
            // A second cancel is refused by the booking rules, with the reason, and nothing changes.
            let again = try await client.post("/dashboard/moves/\(job.id)/cancel", [("csrf", csrf)])
            #expect(again.status == 409)
        }
    }

    @Test func rescheduleAndResendGoThroughTheBookingServiceAsStaff() async throws {
        try await withDashboard { client, server in
            let booking = try #require(server.bookingSystem)
            let job = try await booking.service.bookTestMove()
            try await client.signIn(token: Self.token)
            let csrf = try #require(try await client.get("/dashboard/moves/\(job.id)").csrf)
            var newDate = job.date.adding(days: 1)
            while booking.service.policy.closedWeekdays.contains(newDate.weekday) { newDate = newDate.adding(days: 1) }
            let moved = try await client.post(
                "/dashboard/moves/\(job.id)/reschedule",
                [("csrf", csrf), ("date", newDate.iso), ("window", "afternoon")]
            )
            #expect(moved.status == 303)
            let after = try await booking.service.job(id: job.id)
            #expect(after.date == newDate && after.window == .afternoon && after.status == .rescheduled)
            let before = try await booking.store.outbox(jobID: job.id).count
            #expect(try await client.post("/dashboard/moves/\(job.id)/resend", [("csrf", csrf)]).status == 303)
            let texts = try await booking.store.outbox(jobID: job.id)
            #expect(texts.count == before + 1)
            #expect(texts.last?.requestedBy == "staff")
        }
    }

    @Test func aTranscriptIsShownAsTextNeverAsMarkup() async throws {
        try await withDashboard { client, server in
            let sid = "CA" + String(repeating: "a", count: 32)
            let records = server.callRecords
            try await records.callStarted(callSid: sid, caller: "+14155552671", at: Date())
            try await records.append(.callerSaid("<script>alert('x')</script> & <b>bold</b>"), callSid: sid, at: Date())
            try await records.append(
                .tool(
                    name: "create_booking",
                    latencyMilliseconds: 42,
                    ok: true,
                    arguments: #"{"customer_name":"<img src=x onerror=alert(1)>"}"#,
                    result: #"{"job_id":"QM-7K3P9D"}"#
                ),
                callSid: sid,
                at: Date()
            )
            try await client.signIn(token: Self.token)
            let page = try await client.get("/dashboard/calls/\(sid)")
            #expect(page.status == 200)
            #expect(page.body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"))
            #expect(!page.body.contains("<script>"))
            #expect(!page.body.contains("<img src=x"))
            #expect(page.body.contains("create_booking"))
            #expect(page.body.contains("42 ms"))
            // The detail page shows the whole number; the list only its last digits.
            #expect(page.body.contains("+1 (415) 555-2671"))
            let list = try await client.get("/dashboard/calls")
            #expect(list.body.contains("+1 ••• ••• 2671"))
            #expect(!list.body.contains("555-2671") && !list.body.contains("4155552671"))
        }
    }

    @Test func callsArePagedNewestFirstAndFilteredByOutcomeCallerAndDate() async throws {
        try await withDashboard { client, server in
            let records = server.callRecords
            let now = Date()
            // 60 calls a minute apart today; every third booked; callers end in 1000…1059.
            for index in 0..<60 {
                let sid = "CA" + String(format: "%032d", index)
                let at = now.addingTimeInterval(Double(-60 * (60 - index)))
                try await records.callStarted(callSid: sid, caller: "+1415555\(1000 + index)", at: at)
                let outcome: CallOutcome = index % 3 == 0 ? .booked : .endedByCaller
                try await records.append(.outcome(outcome, jobID: nil), callSid: sid, at: at)
            }
            // One from ten days ago.
            let old = "CA" + String(repeating: "9", count: 32)
            try await records.callStarted(callSid: old, caller: "+12125550000", at: now.addingTimeInterval(-10 * 86400))

            try await client.signIn(token: Self.token)
            func sids(_ page: DashboardClient.Page) -> [String] {
                page.body.components(separatedBy: "href=\"/dashboard/calls/").dropFirst().map { String($0.prefix(34)) }
            }
            let first = try await client.get("/dashboard/calls")
            #expect(sids(first).count == 50)
            #expect(sids(first).first == "CA" + String(format: "%032d", 59))
            #expect(first.body.contains("rel=\"next\" href=\"/dashboard/calls?page=2\""))
            let second = try await client.get("/dashboard/calls?page=2")
            #expect(sids(second).count == 11)
            #expect(sids(second).last == old)
            #expect(!second.body.contains("rel=\"next\""))

            let booked = try await client.get("/dashboard/calls?outcome=booked")
            #expect(sids(booked).count == 20)
            #expect(booked.body.contains("<option value=\"booked\" selected>"))
            let caller = try await client.get("/dashboard/calls?caller=1042")
            #expect(sids(caller) == ["CA" + String(format: "%032d", 42)])
            let format = DateFormatter()
            format.dateFormat = "yyyy-MM-dd"
            format.timeZone = TimeZone(identifier: "America/New_York")
            let tenDaysAgo = format.string(from: now.addingTimeInterval(-10 * 86400))
            let onThatDay = try await client.get("/dashboard/calls?from=\(tenDaysAgo)&to=\(tenDaysAgo)")
            #expect(sids(onThatDay) == [old])
            // A filter that is not a date or an outcome is ignored, not an error; a huge page is an empty one.
            #expect(try await client.get("/dashboard/calls?from=soon&outcome=nonsense").status == 200)
            let far = try await client.get("/dashboard/calls?page=9223372036854775807")
            #expect(far.status == 200)
            #expect(sids(far).isEmpty)
        }
    }

    @Test func movesAreFoundByJobNumberPhoneOrNameAndTheDayGridShowsWhatTheyHold() async throws {
        try await withDashboard { client, server in
            let booking = try #require(server.bookingSystem)
            let job = try await booking.service.bookTestMove()
            try await client.signIn(token: Self.token)
            for query in [job.id, job.id.lowercased().replacingOccurrences(of: "-", with: " "), "2671", "whitfield"] {
                let page = try await client.get(
                    "/dashboard/moves?q=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                )
                #expect(page.body.contains("href=\"/dashboard/moves/\(job.id)\""), "\(query)")
            }
            let none = try await client.get("/dashboard/moves?q=nobody")
            #expect(none.body.contains("No move matches."))
            let day = try await client.get("/dashboard/days/\(job.date.iso)")
            #expect(day.status == 200)
            #expect(day.body.contains("href=\"/dashboard/moves/\(job.id)\""))
            #expect(try await client.get("/dashboard/days/not-a-day").status == 404)
        }
    }

    @Test func aFailedTextCanBeSentAgainToACorrectedNumberByStaff() async throws {
        try await withDashboard { client, server in
            let booking = try #require(server.bookingSystem)
            let job = try await booking.service.bookTestMove()
            let queued = try await booking.service.confirmation(jobID: job.id, resend: false, for: .staff).message
            var failed = queued
            failed.status = OutboxMessage.Status.failed
            failed.lastError = "21211: The 'To' number +14155552671 is not a valid phone number."
            _ = try await booking.store.updateOutboxMessage(failed, expectedStatus: queued.status)

            try await client.signIn(token: Self.token)
            let page = try await client.get("/dashboard/texts")
            // The list masks the number, in the recipient column and in Twilio's error alike.
            #expect(page.body.contains("21211: The &#39;To&#39; number +1 ••• ••• 2671 is not a valid phone number."))
            #expect(!page.body.contains("4155552671") && !page.body.contains("555-2671"))
            let today = try await client.get("/dashboard")
            #expect(today.body.contains("Text about \(job.id)"))
            #expect(today.body.contains("Move \(job.id) for Dana Whitfield"))
            #expect(!today.body.contains("4155552671"))
            let retried = try await client.post(
                "/dashboard/texts/\(queued.id)/retry",
                [("csrf", page.csrf ?? ""), ("phone", "+1 (646) 555-0199")]
            )
            #expect(retried.status == 303)
            let texts = try await booking.store.outbox(jobID: job.id)
            #expect(texts.last?.recipient == "+16465550199")
            #expect(texts.last?.requestedBy == "staff")

            // Once the move is cancelled, no confirmation goes out for it, from either page.
            _ = try await booking.service.updateStatus(jobID: job.id, to: .cancelled, by: .staff)
            let csrf = page.csrf ?? ""
            let refused = try await client.post("/dashboard/texts/\(queued.id)/retry", [("csrf", csrf), ("phone", "")])
            #expect(refused.status == 409)
            let resend = try await client.post("/dashboard/moves/\(job.id)/resend", [("csrf", csrf)])
            #expect(resend.status == 409)
            #expect(try await booking.store.outbox(jobID: job.id).count == texts.count)
        }
    }

    @Test func aCallInProgressIsOnTheTodayPageWithItsCallerMaskedUntilItEnds() async throws {
        let script = FakeRealtimeScript(responses: [.speech("Hello, NYC Quick Movers.", milliseconds: 2400)])
        try await withCallServer(script: script, environment: Self.environment) { client, server, _ in
            let dashboard = try await DashboardClient(server)
            try await dashboard.signIn(token: Self.token)
            let call = Task {
                try await CallTests.caller(client).call([.silence(milliseconds: 2500), .hangUp])
            }
            var live = ""
            _ = try await eventually(timeout: .seconds(5)) {
                live = try await dashboard.get("/dashboard").body
                return live.contains("Calls in progress <span class=\"count\">1</span>")
            }
            #expect(live.contains("+1 ••• ••• 2671"))
            #expect(live.contains("<span class=\"state\">greeting</span>"))
            #expect(!live.contains("555-2671"))
            _ = try await call.value
            let emptied = try await eventually(timeout: .seconds(5)) {
                try await dashboard.get("/dashboard").body.contains("Calls in progress <span class=\"count\">0</span>")
            }
            #expect(emptied)
            try await dashboard.shutdown()
        }
    }
}
