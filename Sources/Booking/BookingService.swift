import Foundation

/// The booking system's operations, with its rules: what the MCP tools call.
package struct BookingService: Sendable {
    package let store: any BookingStore
    package let policy: BookingPolicy
    package let businessName: String
    /// Sends a confirmation as soon as it is written; `nil` leaves it in the outbox for a sender to find.
    package let delivery: (any MessageDelivery)?
    let now: @Sendable () -> Date
    /// Bookings each call has under way here, which the end of the call waits for.
    private let inProgress = BookingsInProgress()

    package init(
        store: any BookingStore,
        policy: BookingPolicy,
        businessName: String,
        delivery: (any MessageDelivery)? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.policy = policy
        self.businessName = businessName
        self.delivery = delivery
        self.now = now
    }

    /// Today in the business's time zone.
    package var today: CalendarDate { CalendarDate(now(), in: policy.timeZone) }

    package var lastBookableDate: CalendarDate { today.adding(days: policy.horizonDays) }

    /// Resolves what the caller said and checks the company can move on that day.
    package func bookableDate(_ text: String) throws(BookingError) -> CalendarDate {
        let date = try SpokenDateResolver(today: today).resolve(text)
        guard date >= today else { throw .dateInPast(date) }
        guard !policy.closedWeekdays.contains(date.weekday) else { throw .closedDay(date) }
        guard date <= lastBookableDate else { throw .beyondHorizon(date, lastBookable: lastBookableDate) }
        return date
    }

    // MARK: Availability

    package struct Availability: Sendable, Equatable {
        package var date: CalendarDate
        package var windows: [WindowAvailability]
        /// The estimate for the home size asked about, if one was given.
        package var estimate: PriceEstimate?
    }

    package struct WindowAvailability: Sendable, Equatable {
        package var window: TimeWindow
        package var available: Bool
        /// Why not, when it is not.
        package var unavailable: Unavailability?
        /// Every window the move would hold if it started in this one.
        package var holds: [TimeWindow]
    }

    /// Why a window cannot be booked.
    package enum Unavailability: String, Sendable, Equatable {
        /// Every crew or truck able to do the move is taken.
        case taken
        /// It has started, or starts within the lead time.
        case tooSoon = "too_soon"
        /// The move is too long to start then.
        case tooLong = "too_long"
    }

    package func availability(dateText: String, homeSize: HomeSize?) async throws -> Availability {
        let date = try bookableDate(dateText)
        let usage = try await store.usage(on: date)
        let size = homeSize ?? .studio
        let hours = policy.estimate(for: size).hours
        let windows = policy.windows.map { window in
            let holds = policy.windowsHeld(startingIn: window, hours: hours)
            let unavailable: Unavailability? =
                if policy.isTooSoon(window, on: date, now: now()) {
                    .tooSoon
                } else if let holds {
                    freeSlot(on: date, window: window, holding: holds, homeSize: size, usage: usage) == nil
                        ? .taken : nil
                } else {
                    .tooLong
                }
            return WindowAvailability(
                window: window,
                available: unavailable == nil,
                unavailable: unavailable,
                holds: holds ?? [window]
            )
        }
        return Availability(date: date, windows: windows, estimate: homeSize.map(policy.estimate(for:)))
    }

    /// The first crew and truck able to do the move that are free in every window of `holding`.
    private func freeSlot(
        on date: CalendarDate,
        window: TimeWindow,
        holding windows: [TimeWindow],
        homeSize: HomeSize,
        usage: [TimeWindow: SlotUsage]
    ) -> Slot? {
        let candidates = policy.candidates(for: homeSize)
        let held = windows.map { usage[$0] ?? SlotUsage() }
        guard let crew = candidates.crews.first(where: { crew in !held.contains { $0.crewIDs.contains(crew.id) } }),
            let truck = candidates.trucks.first(where: { truck in !held.contains { $0.truckIDs.contains(truck.id) } })
        else { return nil }
        return Slot(date: date, window: window, crewID: crew.id, truckID: truck.id)
    }

    /// The windows a move of `homeSize` starting in `window` on `date` holds, if the time rules allow it: not
    /// started nor within the lead time, and not too long to start then.
    private func windowsHeld(on date: CalendarDate, window: TimeWindow, homeSize: HomeSize) async throws -> [TimeWindow]
    {
        let hours = policy.estimate(for: homeSize).hours
        if policy.isTooSoon(window, on: date, now: now()) {
            throw BookingError.tooSoon(
                date,
                window,
                leadTimeHours: policy.leadTimeHours,
                next: try await firstBookableWindow(for: homeSize)
            )
        }
        guard let held = policy.windowsHeld(startingIn: window, hours: hours) else {
            throw BookingError.tooLongToStart(window, hours: hours)
        }
        return held
    }

    /// The first window from now on that a move of `homeSize` could be booked in, looking two weeks ahead.
    package func firstBookableWindow(for homeSize: HomeSize) async throws -> DateWindow? {
        let hours = policy.estimate(for: homeSize).hours
        for offset in 0..<14 {
            let date = today.adding(days: offset)
            guard !policy.closedWeekdays.contains(date.weekday), date <= lastBookableDate else { continue }
            let usage = try await store.usage(on: date)
            for window in policy.windows.sorted() where !policy.isTooSoon(window, on: date, now: now()) {
                guard let held = policy.windowsHeld(startingIn: window, hours: hours),
                    freeSlot(on: date, window: window, holding: held, homeSize: homeSize, usage: usage) != nil
                else { continue }
                return DateWindow(date: date, window: window)
            }
        }
        return nil
    }

    /// How often a booking or a reschedule looks for a free crew and truck again after another caller took them:
    /// once per pairing, and a few more for job-id collisions.
    private var slotAttempts: Int { policy.crews.count * policy.trucks.count + 4 }

    // MARK: Booking

    package struct BookingRequest: Sendable, Equatable {
        package var customerName: String
        package var phone: String
        package var email: String?
        package var pickupAddress: String
        package var dropoffAddress: String
        package var date: String
        package var window: TimeWindow
        package var homeSize: HomeSize
        package var specialItems: String?
        package var notes: String?
        /// The same key always gives back the same job.
        package var idempotencyKey: String?
        package var callSid: String?

        package init(
            customerName: String,
            phone: String,
            email: String? = nil,
            pickupAddress: String,
            dropoffAddress: String,
            date: String,
            window: TimeWindow,
            homeSize: HomeSize,
            specialItems: String? = nil,
            notes: String? = nil,
            idempotencyKey: String? = nil,
            callSid: String? = nil
        ) {
            self.customerName = customerName
            self.phone = phone
            self.email = email
            self.pickupAddress = pickupAddress
            self.dropoffAddress = dropoffAddress
            self.date = date
            self.window = window
            self.homeSize = homeSize
            self.specialItems = specialItems
            self.notes = notes
            self.idempotencyKey = idempotencyKey
            self.callSid = callSid
        }
    }

    /// Books a move. With an idempotency key already used, returns that job (`created` false) and books nothing;
    /// likewise for a second attempt in the same call for the same phone, date and window.
    package func createBooking(_ request: BookingRequest) async throws -> (job: Job, created: Bool) {
        try await inProgress.running(for: request.callSid) { try await book(request) }
    }

    private func book(_ request: BookingRequest) async throws -> (job: Job, created: Bool) {
        if let key = request.idempotencyKey, let existing = try await store.job(idempotencyKey: key) {
            return (existing, false)
        }
        let name = request.customerName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw BookingError.invalidArgument(field: "customer name", reason: "it is empty") }
        let phone = try Self.normalizedPhone(request.phone)
        let pickup = request.pickupAddress.trimmingCharacters(in: .whitespacesAndNewlines)
        let dropoff = request.dropoffAddress.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !pickup.isEmpty else {
            throw BookingError.invalidArgument(field: "pickup address", reason: "it is empty")
        }
        guard !dropoff.isEmpty else {
            throw BookingError.invalidArgument(field: "drop-off address", reason: "it is empty")
        }
        let date = try bookableDate(request.date)
        let estimate = policy.estimate(for: request.homeSize)
        let held = try await windowsHeld(on: date, window: request.window, homeSize: request.homeSize)

        // Pick a free crew and truck; if another caller takes them first the database refuses, and we look again.
        for _ in 0..<slotAttempts {
            let usage = try await store.usage(on: date)
            guard
                let slot = freeSlot(
                    on: date,
                    window: request.window,
                    holding: held,
                    homeSize: request.homeSize,
                    usage: usage
                )
            else {
                throw BookingError.slotTaken(date, request.window)
            }
            let created = now()
            let job = Job(
                id: JobID.make(),
                customerName: name,
                phone: phone,
                email: request.email?.trimmingCharacters(in: .whitespaces).nilIfEmpty,
                pickupAddress: pickup,
                dropoffAddress: dropoff,
                date: date,
                window: request.window,
                homeSize: request.homeSize,
                specialItems: request.specialItems?.nilIfEmpty,
                estimatedHours: estimate.hours,
                crewID: slot.crewID,
                truckID: slot.truckID,
                crewSize: estimate.movers,
                priceEstimateCents: estimate.totalCents,
                status: .confirmed,
                notes: request.notes?.nilIfEmpty,
                callSid: request.callSid,
                createdAt: created,
                updatedAt: created,
                updatedBy: request.callSid ?? "staff"
            )
            do {
                return try await store.insert(job, holding: held, idempotencyKey: request.idempotencyKey)
            } catch StoreConflict.slot, StoreConflict.jobID {
                continue
            } catch StoreConflict.idempotencyKey {
                // The same request won a race with itself (a retry): give back the job it made.
                if let key = request.idempotencyKey, let existing = try await store.job(idempotencyKey: key) {
                    return (existing, false)
                }
                throw BookingError.storageFailure("idempotency key conflict without a job")
            }
        }
        throw BookingError.slotTaken(date, request.window)
    }

    // MARK: Looking up and changing jobs

    package func job(id: String) async throws -> Job {
        let normalized = JobID.normalized(id)
        guard let job = try await store.job(id: normalized) else { throw BookingError.jobNotFound(normalized) }
        return job
    }

    package func jobs(phone: String) async throws -> [Job] {
        try await store.jobs(phone: Self.normalizedPhone(phone))
    }

    /// A job `requester` may see; someone else's booking is refused without a word about it.
    package func job(id: String, for requester: Requester) async throws -> Job {
        let job = try await job(id: id)
        guard try await access(to: job, for: requester) != .none else {
            throw BookingError.notYourBooking(jobID: job.id)
        }
        return job
    }

    /// The bookings made with `phone`; a caller may ask only for the number they call from, which is also what
    /// `nil` means.
    package func jobs(phone: String?, for requester: Requester) async throws -> [Job] {
        guard case .caller(let caller) = requester else {
            guard let phone else {
                throw BookingError.invalidArgument(field: "job number or phone number", reason: "ask for one")
            }
            return try await jobs(phone: phone)
        }
        guard let number = caller.number else { throw BookingError.numberHidden }
        if let phone, try Self.normalizedPhone(phone) != number { throw BookingError.onlyYourNumber }
        return try await store.jobs(phone: number)
    }

    /// Changes a job's status for `requester`: a caller may only confirm or cancel, and only a job they have full
    /// access to (``access(to:for:)``).
    package func updateStatus(jobID: String, to status: JobStatus, by requester: Requester = .staff) async throws -> Job
    {
        let current = try await job(id: jobID)
        if case .caller = requester, !Self.callerStatuses.contains(status) {
            throw BookingError.notForCallers(action: status.spoken)
        }
        try await requireChange(of: current, by: requester)
        guard current.status.allowedNext.contains(status), status != .rescheduled else {
            throw BookingError.invalidTransition(jobID: current.id, from: current.status, to: status)
        }
        guard
            let updated = try await store.updateStatus(
                jobID: current.id,
                expected: current.status,
                to: status,
                at: now(),
                by: requester.auditName
            )
        else {
            // It changed under us; report what it is now.
            let latest = try await job(id: current.id)
            throw BookingError.invalidTransition(jobID: latest.id, from: latest.status, to: status)
        }
        return updated
    }

    /// The statuses a caller may set: the rest are the office's.
    static let callerStatuses: Set<JobStatus> = [.confirmed, .cancelled]

    /// Moves a job to another date and window: the new slot is claimed and the old one freed at once.
    package func reschedule(
        jobID: String,
        dateText: String,
        window: TimeWindow,
        by requester: Requester = .staff
    ) async throws -> Job {
        let current = try await job(id: jobID)
        try await requireChange(of: current, by: requester)
        guard current.status.allowedNext.contains(.rescheduled) else {
            throw BookingError.invalidTransition(jobID: current.id, from: current.status, to: .rescheduled)
        }
        let date = try bookableDate(dateText)
        let held = try await windowsHeld(on: date, window: window, homeSize: current.homeSize)
        for _ in 0..<slotAttempts {
            // What the job holds itself is free to it: it lets go of it as it moves.
            let usage = try await store.usage(on: date, excluding: current.id)
            guard
                let slot = freeSlot(on: date, window: window, holding: held, homeSize: current.homeSize, usage: usage)
            else {
                throw BookingError.slotTaken(date, window)
            }
            do {
                guard
                    let moved = try await store.move(
                        jobID: current.id,
                        expected: current.status,
                        to: slot,
                        holding: held,
                        status: .rescheduled,
                        at: now(),
                        by: requester.auditName
                    )
                else {
                    // It changed meanwhile (cancelled, say): report what it is now.
                    let latest = try await job(id: current.id)
                    throw BookingError.invalidTransition(jobID: latest.id, from: latest.status, to: .rescheduled)
                }
                return moved
            } catch StoreConflict.slot {
                continue
            }
        }
        throw BookingError.slotTaken(date, window)
    }

    // MARK: The end of a call

    /// The call `callSid` has ended: every live booking it made gets its confirmation queued if it has none (the
    /// tool's answer may have been lost to a hang-up or a deadline before the assistant asked for one). Returns the
    /// jobs, and how many confirmations were queued now.
    package func finishCall(callSid: String) async throws -> (jobs: [Job], queued: Int) {
        // A booking the caller hung up on may still be being written.
        await inProgress.waitUntilDone(callSid)
        let jobs = try await store.jobs(callSid: callSid).filter { $0.status != .cancelled }
        var queued = 0
        for job in jobs where try await store.latestOutboxMessage(jobID: job.id, kind: Self.confirmationKind) == nil {
            // To the booking's own phone, as the office would send it; the country rules still apply.
            do {
                if try await confirmation(jobID: job.id, resend: false, for: .staff).created { queued += 1 }
            } catch is BookingError {
                continue
            }
        }
        return (jobs, queued)
    }

    // MARK: Confirmation

    package static let confirmationKind = "booking_confirmation"

    /// Writes the job's confirmation to the outbox once; calling again returns the same message unless `resend`,
    /// or unless `phone` names another number to send it to. For a caller: only about a job they may see, to another
    /// number only with full access, within the text allowances (``TextRules``); for anyone, only to the countries
    /// the rules allow.
    package func confirmation(
        jobID: String,
        resend: Bool,
        phone: String? = nil,
        for requester: Requester = .staff
    ) async throws -> (message: OutboxMessage, created: Bool) {
        let job = try await job(id: jobID)
        let access = try await access(to: job, for: requester)
        guard access != .none else { throw BookingError.notYourBooking(jobID: job.id) }
        let recipient = try phone.map { try Self.normalizedPhone($0) } ?? job.phone
        if recipient != job.phone, access != .full {
            throw BookingError.otherNumberNeedsVerification(lastDigits: String(job.phone.suffix(4)))
        }
        let latest = try await store.latestOutboxMessage(jobID: job.id, kind: Self.confirmationKind)
        if let latest, !resend, phone == nil || latest.recipient == recipient { return (latest, false) }
        try await requireTextAllowed(to: recipient, about: job.id, for: requester)
        let message = OutboxMessage(
            id: UUID().uuidString.lowercased(),
            jobID: job.id,
            kind: Self.confirmationKind,
            sequence: (latest?.sequence ?? 0) + 1,
            recipient: recipient,
            body: confirmationText(for: job),
            status: OutboxMessage.Status.pending,
            createdAt: now(),
            requestedBy: requester.textAllowanceKey
        )
        do {
            return (try await store.insertOutboxMessage(message), true)
        } catch StoreConflict.outbox {
            // A concurrent call wrote it first: that one is the message.
            guard let existing = try await store.latestOutboxMessage(jobID: job.id, kind: Self.confirmationKind) else {
                throw BookingError.storageFailure("outbox conflict without a message")
            }
            return (existing, false)
        }
    }

    /// Two GSM-7 segments: longer texts are split into more, and billed for each.
    package static let maximumConfirmationLength = 306

    /// Plain GSM-7 text in at most two segments: characters outside GSM-7's basic set are replaced, and long
    /// addresses are shortened (the job number, date, window and estimate are always whole).
    package func confirmationText(for job: Job) -> String {
        let window = job.window == .morning ? "morning (8am-12pm)" : "afternoon (1pm-5pm)"
        func text(pickup: String, dropoff: String) -> String {
            Self.gsm7(
                "\(businessName): your move \(job.id) is booked for \(job.date.spoken), \(window). "
                    + "From \(pickup) to \(dropoff). Estimate \(PriceEstimate.dollars(job.priceEstimateCents)). "
                    + "To change it, call us and quote \(job.id)."
            )
        }
        let whole = text(pickup: job.pickupAddress, dropoff: job.dropoffAddress)
        let excess = whole.count - Self.maximumConfirmationLength
        guard excess > 0 else { return whole }
        // Both addresses give up the same share, each keeping at least its first few characters.
        let pickup = Self.gsm7(job.pickupAddress)
        let dropoff = Self.gsm7(job.dropoffAddress)
        let cut = (excess + 1) / 2 + 3
        func shortened(_ address: String) -> String {
            address.count - cut >= 8
                ? String(address.prefix(address.count - cut)) + "..." : String(address.prefix(8)) + "..."
        }
        return String(
            text(pickup: shortened(pickup), dropoff: shortened(dropoff)).prefix(Self.maximumConfirmationLength)
        )
    }

    /// GSM 03.38's basic character set, as far as plain text needs it; anything else becomes a near equivalent or
    /// `?`, so that the message is not sent as UCS-2 (70 characters a segment).
    static func gsm7(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "[", "{": result += "("
            case "]", "}": result += ")"
            case "\\": result += "/"
            case "|": result += "-"
            case "^", "~": result += "-"
            case "`", "\u{2018}", "\u{2019}": result += "'"
            case "\u{201C}", "\u{201D}": result += "\""
            case "\u{2013}", "\u{2014}": result += "-"
            case "\n", "\r": result += " "
            case _ where scalar.isASCII && scalar.value >= 0x20: result.unicodeScalars.append(scalar)
            case "é", "è", "ü", "ö", "ä", "ñ", "à", "ì", "ò", "ù", "Ä", "Ö", "Ñ", "Ü", "Å", "å", "Æ", "æ", "ß", "É":
                result.unicodeScalars.append(scalar)
            default: result += "?"
            }
        }
        return result
    }

    /// E.164: `+` and digits; a 10-digit US number gets `+1`.
    package static func normalizedPhone(_ text: String) throws(BookingError) -> String {
        let digits = text.filter(\.isNumber)
        let number: String
        if text.trimmingCharacters(in: .whitespaces).hasPrefix("+") {
            number = "+" + digits
        } else if digits.count == 10 {
            number = "+1" + digits
        } else if digits.count == 11, digits.hasPrefix("1") {
            number = "+" + digits
        } else {
            number = "+" + digits
        }
        guard (8...16).contains(number.count), number.dropFirst().allSatisfy(\.isASCII) else {
            throw .invalidArgument(field: "phone number", reason: "read it back to me digit by digit")
        }
        return number
    }
}

extension String {
    fileprivate var nilIfEmpty: String? {
        let trimmed = trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}
