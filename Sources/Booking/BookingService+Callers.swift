import Foundation

/// Who may see and change which booking (issue 13), the one-time codes that prove a caller holds a booking's phone,
/// and the limits on texts.
extension BookingService {
    /// What `requester` may do with `job`. Staff: everything. A caller: everything with a job booked on this call,
    /// or after reading back a code for it on this call, or when it is under their number and the carrier vouched
    /// for that number; seeing it and having its confirmation sent to its own phone when it is under their number
    /// but the carrier did not vouch for it; nothing otherwise.
    package func access(to job: Job, for requester: Requester) async throws -> JobAccess {
        guard case .caller(let caller) = requester else { return .full }
        if job.callSid == caller.callSid { return .full }
        if try await store.isVerified(jobID: job.id, callSid: caller.callSid) { return .full }
        guard let number = caller.number, number == job.phone else { return .none }
        return caller.numberIsVerified ? .full : .ownNumber
    }

    /// Throws unless `requester` may change `job`.
    func requireChange(of job: Job, by requester: Requester) async throws {
        switch try await access(to: job, for: requester) {
        case .full: return
        case .ownNumber: throw BookingError.verificationNeeded(jobID: job.id, lastDigits: String(job.phone.suffix(4)))
        case .none: throw BookingError.notYourBooking(jobID: job.id)
        }
    }

    // MARK: One-time codes

    /// What ``sendVerificationCode(jobID:for:)`` did.
    package struct CodeSent: Sendable, Equatable {
        package var jobID: String
        /// The last four digits of the phone it went to (the caller's own number, or one they claim to hold).
        package var lastDigits: String
        package var expiresAt: Date
    }

    /// Texts a new 6-digit code to the phone on `jobID`, for the caller on this call to read back. Only the code's
    /// hash is kept; the text is sent at once and not stored. Staff need no code.
    package func sendVerificationCode(jobID: String, for requester: Requester) async throws -> CodeSent {
        guard case .caller(let caller) = requester else {
            throw BookingError.invalidArgument(field: "caller", reason: "codes are for callers; staff need none")
        }
        let job = try await job(id: jobID)
        guard let delivery else { throw BookingError.textsOff }
        try await requireTextAllowed(to: job.phone, about: job.id, for: requester)
        let (code, record) = CallerVerification.issue(
            jobID: job.id,
            callSid: caller.callSid,
            requestedBy: caller.textAllowanceKey,
            at: now()
        )
        // Kept before it is sent: a text whose record was lost would be a code no one can check.
        try await store.insertVerification(record)
        let body = Self.gsm7(
            "\(businessName): your code is \(code). Read it to our assistant on the phone to manage move \(job.id). "
                + "It expires in 10 minutes. If you did not call us, ignore this text."
        )
        let digits = String(job.phone.suffix(4))
        switch await delivery.sendNow(to: job.phone, body: body) {
        case .accepted, .unchanged:
            return CodeSent(jobID: job.id, lastDigits: digits, expiresAt: record.expiresAt)
        case .disabled:
            throw BookingError.textsOff
        case .refused(let refusal, _):
            throw BookingError.textRefused(refusal, lastDigits: digits)
        case .willRetry:
            throw BookingError.textRefused(.other, lastDigits: digits)
        }
    }

    /// Checks the code the caller read back for `jobID`; on a match, this call has full access to the job.
    package func checkVerificationCode(jobID: String, code: String, for requester: Requester) async throws -> Job {
        guard case .caller(let caller) = requester else { return try await job(id: jobID) }
        let job = try await job(id: jobID)
        guard var record = try await store.latestVerification(jobID: job.id, callSid: caller.callSid) else {
            throw BookingError.noCodeSent(jobID: job.id)
        }
        if record.verifiedAt != nil { return job }
        guard record.expiresAt > now(), record.attempts < CallerVerification.maximumTries else {
            throw BookingError.codeExpired
        }
        guard record.matches(code) else {
            record.attempts += 1
            try await store.updateVerification(record)
            throw BookingError.codeWrong(triesLeft: CallerVerification.maximumTries - record.attempts)
        }
        record.verifiedAt = now()
        try await store.updateVerification(record)
        return job
    }

    // MARK: Texts

    /// Throws unless a text about `jobID` may go to `recipient` now: the country is allowed (for anyone), and for a
    /// caller, the job's daily and the caller's hourly allowances are not used up.
    func requireTextAllowed(to recipient: String, about jobID: String, for requester: Requester) async throws {
        guard policy.texts.allows(recipient) else {
            throw BookingError.textCountryNotAllowed(lastDigits: String(recipient.suffix(4)))
        }
        guard case .caller(let caller) = requester else { return }
        let now = now()
        let perJob = try await store.textCount(jobID: jobID, since: now.addingTimeInterval(-24 * 3600))
        guard perJob < policy.texts.perJobPerDay else { throw BookingError.textLimitReached }
        let perCaller = try await store.textCount(
            requestedBy: caller.textAllowanceKey,
            since: now.addingTimeInterval(-3600)
        )
        guard perCaller < policy.texts.perCallerPerHour else { throw BookingError.textLimitReached }
    }
}
