import Booking
import BookingSQL
import CallRecords
import CallRecordsSQL
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The office's dashboard at `/dashboard` on the admin listener: today, calls, moves and texts, server-rendered.
///
/// Staff sign in with `ADMIN_TOKEN` and get a session cookie (`HttpOnly`, `SameSite=Strict`, `Secure` behind
/// https); every form carries the session's CSRF token, and every page is sent with a strict content security
/// policy and no caching. Changes go through ``BookingService``, as the tools' do, recorded as made by `staff`.
package struct DashboardController<Context: RemoteAddressRequestContext>: Sendable {
    /// The embedded booking system; `nil` when it runs elsewhere (`MCP_SERVER_URL`), and the moves and texts pages
    /// say so.
    package struct BookingAccess: Sendable {
        package var service: BookingService
        package var store: SQLBookingStore

        package init(service: BookingService, store: SQLBookingStore) {
            self.service = service
            self.store = store
        }
    }

    static var sessionCookie: String { "dashboard_session" }
    static var loginCookie: String { "dashboard_login" }
    static var pageSize: Int { 50 }

    let callRecords: SQLCallRecordStore
    let booking: BookingAccess?
    let sessions: DashboardSessionStore
    let adminToken: @Sendable () -> String?
    let liveCalls: @Sendable () async -> [LiveCall]
    /// A recording's audio from Twilio, fetched with the account's credentials; `nil` without them.
    let recordingAudio: (@Sendable (String) async throws -> ResponseBody)?
    let business: String
    let format: DashboardFormat
    let templates: DashboardTemplates
    let signIns: SignInLimiter
    let now: @Sendable () -> Date
    let logger: Logger

    package init(
        callRecords: SQLCallRecordStore,
        booking: BookingAccess?,
        sessions: DashboardSessionStore,
        adminToken: @escaping @Sendable () -> String?,
        liveCalls: @escaping @Sendable () async -> [LiveCall],
        business: String,
        timeZone: TimeZone,
        recordingAudio: (@Sendable (String) async throws -> ResponseBody)? = nil,
        now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger
    ) throws {
        self.recordingAudio = recordingAudio
        self.callRecords = callRecords
        self.booking = booking
        self.sessions = sessions
        self.adminToken = adminToken
        self.liveCalls = liveCalls
        self.business = business
        self.format = DashboardFormat(timeZone: timeZone)
        self.templates = try DashboardTemplates()
        self.signIns = SignInLimiter()
        self.now = now
        self.logger = logger
    }

    package func addRoutes(to router: Router<Context>) {
        let group = router.group("dashboard")
        group.get { request, _ in try await today(request) }
        group.get("static/dashboard.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardTemplates.styleSheet))
            )
        }
        group.get("login") { request, _ in try await loginForm(request) }
        group.post("login") { request, context in try await signIn(request, from: context.remoteAddress) }
        group.post("logout") { request, _ in try await signOut(request) }
        group.get("days/:date") { request, context in try await day(request, date: context.parameters.require("date")) }
        group.get("calls") { request, _ in try await callList(request) }
        group.get("calls/:sid") { request, context in
            try await callDetail(request, callSid: context.parameters.require("sid"))
        }
        group.get("calls/:sid/recording/:recording") { request, context in
            try await recording(
                request,
                callSid: context.parameters.require("sid"),
                recordingSid: context.parameters.require("recording")
            )
        }
        group.get("moves") { request, _ in try await moveList(request) }
        group.get("moves/:id") { request, context in
            try await moveDetail(request, jobID: context.parameters.require("id"))
        }
        group.post("moves/:id/:action") { request, context in
            try await changeMove(
                request,
                jobID: context.parameters.require("id"),
                action: context.parameters.require("action")
            )
        }
        group.get("texts") { request, _ in try await textList(request) }
        group.post("texts/:id/retry") { request, context in
            try await retryText(request, messageID: context.parameters.require("id"))
        }
    }

    // MARK: Signing in

    /// The signed-in session the request's cookie names, if any.
    func session(_ request: Request) async throws -> DashboardSessionStore.Session? {
        guard let token = adminToken(), let cookie = request.cookies[Self.sessionCookie]?.value else { return nil }
        return try await sessions.session(cookie: cookie, adminToken: token, now: now())
    }

    func loginForm(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response
    {
        if error == nil, try await session(request) != nil { return redirect("/dashboard") }
        let token = DashboardSessionStore.randomToken()
        let page = LoginPage(
            chrome: PageChrome(business: business, csrf: nil, section: .none, error: error),
            csrf: token,
            needsToken: adminToken() == nil
        )
        var response = html(templates.render(page, template: "login"), status: status)
        response.setCookie(cookie(Self.loginCookie, token, request: request, path: "/dashboard/login", maxAge: 600))
        return response
    }

    func signIn(_ request: Request, from address: SocketAddress?) async throws -> Response {
        guard let expected = adminToken() else { return try await loginForm(request) }
        guard let form = try? await decode(DashboardForms.SignIn.self, from: request),
            let loginCookie = request.cookies[Self.loginCookie]?.value,
            Self.same(form.csrf, loginCookie)
        else {
            return try await loginForm(request, error: "The form expired; sign in again.", status: .forbidden)
        }
        let client = address?.ipAddress ?? "unknown"
        guard signIns.mayTry(client, now: now()) else {
            logger.warning("Dashboard sign-in refused: too many wrong tokens")
            return try await loginForm(
                request,
                error: "Too many wrong tokens: wait a minute, then try again.",
                status: .tooManyRequests
            )
        }
        guard Self.same(form.token, expected) else {
            signIns.failed(client, now: now())
            logger.notice("Dashboard sign-in with a wrong token")
            return try await loginForm(request, error: "That is not the admin token.", status: .unauthorized)
        }
        let (cookieValue, session) = try await sessions.create(adminToken: expected, now: now())
        var response = redirect("/dashboard")
        let seconds = Int(session.expiresAt.timeIntervalSince(now()))
        response.setCookie(
            cookie(Self.sessionCookie, cookieValue, request: request, path: "/dashboard", maxAge: seconds)
        )
        response.setCookie(cookie(Self.loginCookie, "", request: request, path: "/dashboard/login", maxAge: 0))
        logger.info("Dashboard sign-in")
        return response
    }

    func signOut(_ request: Request) async throws -> Response {
        guard try await authorizedForm(DashboardForms.CSRFOnly.self, request) != nil else { return forbidden() }
        if let cookieValue = request.cookies[Self.sessionCookie]?.value {
            try await sessions.delete(cookie: cookieValue)
        }
        var response = redirect("/dashboard/login")
        response.setCookie(cookie(Self.sessionCookie, "", request: request, path: "/dashboard", maxAge: 0))
        return response
    }

    /// The form of a signed-in request whose CSRF token matches its session's; `nil` otherwise.
    func authorizedForm<Form: Decodable>(
        _ type: Form.Type,
        _ request: Request
    ) async throws -> (Form, DashboardSessionStore.Session)? {
        guard let session = try await session(request) else { return nil }
        let text = try await formText(request)
        guard let csrf = try? URLEncodedFormDecoder().decode(DashboardForms.CSRFOnly.self, from: text).csrf,
            Self.same(csrf, session.csrfToken)
        else {
            logger.warning("Dashboard form refused: missing or wrong CSRF token")
            return nil
        }
        guard let form = try? URLEncodedFormDecoder().decode(Form.self, from: text) else { return nil }
        return (form, session)
    }

    // MARK: Pages

    func today(_ request: Request) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/dashboard/login") }
        let now = now()
        let today = format.day(of: now)
        let dayStart = format.startOfDay(today)
        let dayEnd = format.startOfDay(today.adding(days: 1))
        let weekStart = format.startOfDay(today.adding(days: -6))
        let figures = [
            TodayPage.FigureRow(label: "Today", try await callRecords.figures(from: dayStart, to: dayEnd)),
            TodayPage.FigureRow(label: "Last 7 days", try await callRecords.figures(from: weekStart, to: dayEnd)),
        ]
        let live = await liveCalls().sorted { $0.startedAt < $1.startedAt }.map {
            TodayPage.Live(
                caller: DashboardFormat.masked($0.caller),
                duration: DashboardFormat.duration(seconds: max(0, Int(now.timeIntervalSince($0.startedAt)))),
                activity: $0.activity
            )
        }
        var attention = try await callRecords.callsNeedingAPerson(since: weekStart, limit: 20).map {
            TodayPage.Attention(
                tag: DashboardFormat.label($0.outcome?.rawValue),
                tagClass: $0.outcome == .failed ? "bad" : "warn",
                title: "Call from \(DashboardFormat.masked($0.caller))",
                detail: format.dateTime($0.startedAt),
                link: "/dashboard/calls/\($0.callSid)"
            )
        }
        var days: [TodayPage.Day] = []
        if let booking {
            attention += try await booking.store.outbox(statuses: TextsPage.failedStatuses, limit: 20, offset: 0)
                .messages.map {
                    TodayPage.Attention(
                        tag: "text \($0.status)",
                        tagClass: "bad",
                        title: "Text about \($0.jobID) to \(DashboardFormat.masked($0.recipient))",
                        detail: $0.lastError.map(DashboardFormat.maskingNumbers) ?? format.dateTime($0.createdAt),
                        link: "/dashboard/texts?status=failed"
                    )
                }
            attention += try await booking.store.jobsWithoutConfirmation(since: weekStart, limit: 20).map {
                TodayPage.Attention(
                    tag: "no confirmation",
                    tagClass: "warn",
                    title: "Move \($0.id) for \($0.customerName)",
                    detail: "\($0.date.iso), \($0.window.rawValue)",
                    link: "/dashboard/moves/\($0.id)"
                )
            }
            let tomorrow = today.adding(days: 1)
            let holds = try await booking.store.holds(on: [today, tomorrow])
            let policy = booking.service.policy
            days = [
                TodayPage.day(today, label: "Today's moves", crews: policy.crews, trucks: policy.trucks, holds: holds),
                TodayPage.day(
                    tomorrow,
                    label: "Tomorrow's moves",
                    crews: policy.crews,
                    trucks: policy.trucks,
                    holds: holds
                ),
            ]
        }
        let page = TodayPage(
            chrome: chrome(session, .today, request),
            todayLabel: today.spoken,
            figures: figures,
            live: live,
            liveCount: live.count,
            attention: attention,
            attentionCount: attention.count,
            days: days
        )
        return html(templates.render(page, template: "today"))
    }

    func day(_ request: Request, date text: String) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/dashboard/login") }
        guard let booking else { return elsewhere(session, request) }
        guard let date = CalendarDate(iso: text) else {
            return message(session, request, status: .notFound, heading: "No such day", text: "Not a date: \(text).")
        }
        let policy = booking.service.policy
        let page = TodayPage.DayPage(
            chrome: chrome(session, .today, request),
            day: TodayPage.day(
                date,
                label: date.spoken,
                crews: policy.crews,
                trucks: policy.trucks,
                holds: try await booking.store.holds(on: [date])
            ),
            previous: date.adding(days: -1).iso,
            next: date.adding(days: 1).iso
        )
        return html(templates.render(page, template: "day"))
    }

    func callList(_ request: Request) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/dashboard/login") }
        let query = request.uri.queryParameters
        let from = query.get("from").flatMap { CalendarDate(iso: $0) }
        let to = query.get("to").flatMap { CalendarDate(iso: $0) }
        let outcome = query.get("outcome").flatMap(CallOutcome.init(rawValue:))
        let caller = query.get("caller").map { $0.filter(\.isNumber) } ?? ""
        let pageNumber = Self.pageNumber(query.get("page"))
        let filter = CallListFilter(
            from: from.map(format.startOfDay),
            to: to.map { format.startOfDay($0.adding(days: 1)) },
            outcome: outcome,
            callerDigits: caller.isEmpty ? nil : caller
        )
        let (calls, more) = try await callRecords.calls(
            matching: filter,
            limit: Self.pageSize,
            offset: (pageNumber - 1) * Self.pageSize
        )
        let kept = [
            ("from", from?.iso ?? ""), ("to", to?.iso ?? ""), ("outcome", outcome?.rawValue ?? ""), ("caller", caller),
        ]
        let page = CallsPage(
            chrome: chrome(session, .calls, request),
            filter: .init(from: from?.iso ?? "", to: to?.iso ?? "", outcome: outcome?.rawValue ?? "", caller: caller),
            outcomes: CallsPage.outcomes.map {
                .init(value: $0.rawValue, label: DashboardFormat.label($0.rawValue), selected: $0 == outcome)
            },
            calls: calls.map { CallsPage.Row($0, format: format) },
            page: pageNumber,
            previous: pageNumber > 1 ? Self.link("/dashboard/calls", kept + [("page", "\(pageNumber - 1)")]) : nil,
            next: more ? Self.link("/dashboard/calls", kept + [("page", "\(pageNumber + 1)")]) : nil
        )
        return html(templates.render(page, template: "calls"))
    }

    func callDetail(_ request: Request, callSid: String) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/dashboard/login") }
        guard let record = try await callRecords.callRecord(callSid: callSid) else {
            return message(session, request, status: .notFound, heading: "No such call", text: "No call \(callSid).")
        }
        var texts: [OutboxMessage] = []
        if let jobID = record.jobID, let booking { texts = try await booking.store.outbox(jobID: jobID) }
        let page = CallPage(chrome: chrome(session, .calls, request), record: record, texts: texts, format: format)
        return html(templates.render(page, template: "call"))
    }

    /// A call's recording, streamed from Twilio through this server: staff never get a link to Twilio, and the
    /// account's credentials never leave it.
    func recording(_ request: Request, callSid: String, recordingSid: String) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/dashboard/login") }
        guard let record = try await callRecords.callRecord(callSid: callSid),
            record.recordings.contains(where: { $0.sid == recordingSid })
        else {
            return message(session, request, status: .notFound, heading: "No such recording", text: recordingSid)
        }
        guard let recordingAudio else {
            return message(
                session,
                request,
                status: .notFound,
                heading: "No Twilio credentials",
                text: "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to play recordings."
            )
        }
        do {
            let body = try await recordingAudio(recordingSid)
            return Response(
                status: .ok,
                headers: [.contentType: "audio/mpeg", .cacheControl: "private, no-store"],
                body: body
            )
        } catch {
            logger.warning(
                "Recording not fetched",
                metadata: ["recording_sid": "\(recordingSid)", "reason": "\(error)"]
            )
            return message(
                session,
                request,
                status: .notFound,
                heading: "Recording not available",
                text: "Twilio has not made this recording available (it may still be processing)."
            )
        }
    }

    func moveList(_ request: Request) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/dashboard/login") }
        guard let booking else { return elsewhere(session, request) }
        let query = request.uri.queryParameters
        let text = query.get("q") ?? ""
        let date = query.get("date").flatMap { CalendarDate(iso: $0) }
        let pageNumber = Self.pageNumber(query.get("page"))
        let (jobs, more) = try await booking.store.jobs(
            matching: JobSearch(text: text, date: date),
            limit: Self.pageSize,
            offset: (pageNumber - 1) * Self.pageSize
        )
        let kept = [("q", text), ("date", date?.iso ?? "")]
        let page = MovesPage(
            chrome: chrome(session, .moves, request),
            query: text,
            date: date?.iso ?? "",
            jobs: jobs.map(MovesPage.Row.init),
            page: pageNumber,
            previous: pageNumber > 1 ? Self.link("/dashboard/moves", kept + [("page", "\(pageNumber - 1)")]) : nil,
            next: more ? Self.link("/dashboard/moves", kept + [("page", "\(pageNumber + 1)")]) : nil
        )
        return html(templates.render(page, template: "moves"))
    }

    func moveDetail(
        _ request: Request,
        jobID: String,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/dashboard/login") }
        guard let booking else { return elsewhere(session, request) }
        guard let job = try await booking.store.job(id: JobID.normalized(jobID)) else {
            return message(session, request, status: .notFound, heading: "No such move", text: "No move \(jobID).")
        }
        let history = try await booking.store.history(jobID: job.id)
        // The call that booked it, and every call that changed it.
        var sids = [job.callSid].compactMap { $0 } + history.map(\.by).filter { $0.hasPrefix("CA") }
        sids = sids.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        var chrome = chrome(session, .moves, request)
        chrome.error = error
        let page = MovePage(
            chrome: chrome,
            job: job,
            history: history,
            calls: try await callRecords.calls(callSids: sids),
            texts: try await booking.store.outbox(jobID: job.id),
            format: format
        )
        return html(templates.render(page, template: "move"), status: status)
    }

    /// A staff action on a move: `cancel`, `reschedule` or `resend` (the confirmation).
    func changeMove(_ request: Request, jobID: String, action: String) async throws -> Response {
        guard let (form, _) = try await authorizedForm(DashboardForms.MoveChange.self, request) else {
            return forbidden()
        }
        guard let booking else { return forbidden() }
        let id = JobID.normalized(jobID)
        do {
            switch action {
            case "cancel":
                _ = try await booking.service.updateStatus(jobID: id, to: .cancelled, by: .staff)
            case "reschedule":
                guard let date = form.date, let window = form.window.flatMap(TimeWindow.init(rawValue:)) else {
                    throw BookingError.invalidArgument(field: "date", reason: "pick a date and a window")
                }
                _ = try await booking.service.reschedule(jobID: id, dateText: date, window: window, by: .staff)
            case "resend":
                try await requireLive(id, booking)
                _ = try await booking.service.confirmation(jobID: id, resend: true, for: .staff)
            default:
                return try await moveDetail(request, jobID: id, error: "Unknown action.", status: .notFound)
            }
        } catch let error as BookingError {
            logger.notice("Dashboard action refused", metadata: ["job": "\(id)", "action": "\(action)"])
            return try await moveDetail(request, jobID: id, error: error.speakableMessage, status: .conflict)
        }
        logger.info("Dashboard action", metadata: ["job": "\(id)", "action": "\(action)", "by": "staff"])
        return redirect("/dashboard/moves/\(id)?done=\(action)")
    }

    func textList(_ request: Request) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/dashboard/login") }
        guard let booking else { return elsewhere(session, request) }
        let query = request.uri.queryParameters
        let tab = TextsPage.tabs.first { $0.value == query.get("status") } ?? TextsPage.tabs[0]
        let pageNumber = Self.pageNumber(query.get("page"))
        let (messages, more) = try await booking.store.outbox(
            statuses: tab.statuses,
            limit: Self.pageSize,
            offset: (pageNumber - 1) * Self.pageSize
        )
        let kept = [("status", tab.value)]
        let page = TextsPage(
            chrome: chrome(session, .texts, request),
            tabs: TextsPage.tabs.map { .init(value: $0.value, label: $0.label, current: $0.value == tab.value) },
            texts: messages.map { TextsPage.Row($0, format: format) },
            page: pageNumber,
            previous: pageNumber > 1 ? Self.link("/dashboard/texts", kept + [("page", "\(pageNumber - 1)")]) : nil,
            next: more ? Self.link("/dashboard/texts", kept + [("page", "\(pageNumber + 1)")]) : nil
        )
        return html(templates.render(page, template: "texts"))
    }

    /// Sends a failed confirmation again, to its number or a corrected one; the resend is recorded as the staff's.
    func retryText(_ request: Request, messageID: String) async throws -> Response {
        guard let (form, session) = try await authorizedForm(DashboardForms.TextRetry.self, request) else {
            return forbidden()
        }
        guard let booking else { return elsewhere(session, request) }
        guard let message = try await booking.store.outboxMessage(id: messageID) else {
            return self.message(
                session,
                request,
                status: .notFound,
                heading: "No such text",
                text: "No text \(messageID)."
            )
        }
        do {
            guard message.kind == BookingService.confirmationKind else {
                throw BookingError.invalidArgument(field: "text", reason: "only a confirmation can be sent again here")
            }
            try await requireLive(message.jobID, booking)
            let phone = form.phone?.trimmingCharacters(in: .whitespaces)
            _ = try await booking.service.confirmation(
                jobID: message.jobID,
                resend: true,
                phone: phone?.isEmpty == false ? phone : nil,
                for: .staff
            )
        } catch let error as BookingError {
            return self.message(
                session,
                request,
                status: .conflict,
                heading: "Not sent",
                text: error.speakableMessage
            )
        }
        logger.info("Dashboard text resent", metadata: ["job": "\(message.jobID)", "by": "staff"])
        return redirect("/dashboard/texts?status=waiting&done=resent")
    }

    /// A confirmation is sent only for a move that is still on: not for one cancelled or done since.
    func requireLive(_ jobID: String, _ booking: BookingAccess) async throws {
        let job = try await booking.service.job(id: jobID)
        guard !job.status.isFinal else {
            throw BookingError.invalidArgument(
                field: "job",
                reason: "move \(job.id) is \(job.status.rawValue): no confirmation is sent"
            )
        }
    }

    // MARK: Responses

    func chrome(
        _ session: DashboardSessionStore.Session,
        _ section: PageChrome.Section,
        _ request: Request
    ) -> PageChrome {
        let flash: String? =
            switch request.uri.queryParameters.get("done") {
            case "cancel": "The move is cancelled."
            case "reschedule": "The move is rescheduled; it waits to be confirmed again."
            case "resend": "The confirmation is queued."
            case "resent": "The text is queued again."
            default: nil
            }
        return PageChrome(business: business, csrf: session.csrfToken, section: section, flash: flash)
    }

    func message(
        _ session: DashboardSessionStore.Session,
        _ request: Request,
        status: HTTPResponse.Status,
        heading: String,
        text: String
    ) -> Response {
        let page = MessagePage(chrome: chrome(session, .none, request), heading: heading, text: text)
        return html(templates.render(page, template: "message"), status: status)
    }

    func elsewhere(_ session: DashboardSessionStore.Session, _ request: Request) -> Response {
        message(
            session,
            request,
            status: .notFound,
            heading: "The booking system runs elsewhere",
            text: "This server uses the booking server at MCP_SERVER_URL; its moves and texts are not here."
        )
    }

    func forbidden() -> Response {
        html(
            "<!doctype html><title>Refused</title><p>This form expired or did not come from the dashboard. "
                + "<a href=\"/dashboard\">Back to the dashboard</a>.</p>",
            status: .forbidden
        )
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
        ]
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    func cookie(_ name: String, _ value: String, request: Request, path: String, maxAge: Int) -> Cookie {
        // Behind an https proxy the cookie never travels in the clear; on the loopback listener it cannot be Secure.
        let forwarded = request.headers[HTTPField.Name("X-Forwarded-Proto")!] ?? ""
        let secure = forwarded.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
        return Cookie(
            name: name,
            value: value,
            maxAge: maxAge,
            path: path,
            secure: secure,
            httpOnly: true,
            sameSite: .strict
        )
    }

    func formText(_ request: Request) async throws -> String {
        String(buffer: try await request.body.collect(upTo: 64 * 1024))
    }

    func decode<Form: Decodable>(_ type: Form.Type, from request: Request) async throws -> Form {
        try URLEncodedFormDecoder().decode(Form.self, from: try await formText(request))
    }

    /// The page asked for, from 1 to 10,000 (a larger one would only overflow the offset).
    static func pageNumber(_ text: String?) -> Int {
        min(10_000, max(1, text.flatMap { Int($0) } ?? 1))
    }

    /// A link with its query (empty values left out).
    static func link(_ path: String, _ items: [(String, String)]) -> String {
        var components = URLComponents()
        components.path = path
        let kept = items.filter { !$0.1.isEmpty }
        components.queryItems = kept.isEmpty ? nil : kept.map { URLQueryItem(name: $0.0, value: $0.1) }
        return components.string ?? path
    }

    /// Compares two secrets in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(DashboardSessionStore.hash(a).utf8), Array(DashboardSessionStore.hash(b).utf8))
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 && x.count == y.count
    }
}
