/// Why the booking system refused something. Each case carries the facts, and ``speakableMessage`` says it in a
/// sentence the assistant can read to the caller.
package enum BookingError: Error, Sendable, Equatable {
    case unreadableDate(String)
    case dateInPast(CalendarDate)
    case closedDay(CalendarDate)
    case beyondHorizon(CalendarDate, lastBookable: CalendarDate)
    case slotTaken(CalendarDate, TimeWindow)
    /// The window has started or starts within the lead time; `next` is the first window that can still be booked
    /// for this move, if one was found.
    case tooSoon(CalendarDate, TimeWindow, leadTimeHours: Int, next: DateWindow?)
    /// A move this long cannot start in this window: it would run too late.
    case tooLongToStart(TimeWindow, hours: Int)
    case jobNotFound(String)
    case invalidTransition(jobID: String, from: JobStatus, to: JobStatus)
    case invalidArgument(field: String, reason: String)
    /// The text message could not be sent to that number.
    case textRefused(DeliveryRefusal, lastDigits: String)
    /// The store failed; the details are logged, not spoken.
    case storageFailure(String)

    // Who may see and change what (issue 13): nothing here names another customer's details.
    /// The job is under another phone number: nothing about it is shared until the caller reads back a code.
    case notYourBooking(jobID: String)
    /// A caller asked for the bookings of a number other than the one they call from.
    case onlyYourNumber
    /// The caller hides their number, so it cannot find their bookings.
    case numberHidden
    /// The caller's own booking, but the carrier did not vouch for their number: changing it needs a code.
    case verificationNeeded(jobID: String, lastDigits: String)
    /// A change only the office makes (start, complete, schedule).
    case notForCallers(action: String)
    /// A text to a number other than the job's needs the caller verified first.
    case otherNumberNeedsVerification(lastDigits: String)
    case codeWrong(triesLeft: Int)
    /// The code expired, or its tries are used up.
    case codeExpired
    case noCodeSent(jobID: String)
    /// The job, or the caller, has had as many texts as allowed for now.
    case textLimitReached
    /// The number is outside `SMS_ALLOWED_COUNTRIES`.
    case textCountryNotAllowed(lastDigits: String)
    /// There are no Twilio credentials, so no code can be sent.
    case textsOff

    package var speakableMessage: String {
        switch self {
        case .unreadableDate(let text):
            "I couldn't tell which date \"\(text)\" is. Could you say the day and the month, like December 3rd?"
        case .dateInPast(let date):
            "\(date.spoken) has already passed. Which upcoming day would you like?"
        case .closedDay(let date):
            "We don't do moves on \(date.weekday.name)s, so \(date.spoken) isn't available. Would another day work?"
        case .beyondHorizon(let date, let last):
            "\(date.spoken) is too far ahead: we book up to \(last.spoken). Would an earlier date work?"
        case .slotTaken(let date, let window):
            "Sorry, the \(window.rawValue) of \(date.spoken) is no longer available. Shall I check another time?"
        case .tooSoon(let date, let window, let lead, let next):
            "The \(window.rawValue) of \(date.spoken) is too soon: we need at least \(lead) hours to plan a move."
                + (next.map { " The first time we can still book is the \($0.window.spoken) on \($0.date.spoken)." }
                    ?? " Which later day would suit you?")
        case .tooLongToStart(let window, let hours):
            "A move of that size takes about \(hours) hours, so it can't start in the \(window.rawValue): it has to "
                + "start in the morning. Would a morning suit you?"
        case .jobNotFound(let id):
            "I can't find a booking with the number \(id). Could you read it to me again?"
        case .invalidTransition(let id, let from, let to):
            "Booking \(id) is \(from.spoken), so it can't be changed to \(to.spoken)."
        case .invalidArgument(let field, let reason):
            "I need a valid \(field): \(reason)."
        case .textRefused(.invalidNumber, let digits):
            "The number ending \(digits) is not a valid number for texts. Ask for the caller's mobile number, then "
                + "send the confirmation again with that phone number."
        case .textRefused(.optedOut, let digits):
            "The number ending \(digits) has opted out of our texts (it replied STOP). The caller can text START to "
                + "us to allow them again, or give another mobile number."
        case .textRefused(.notMobile, let digits):
            "The number ending \(digits) is a landline and cannot receive texts. Offer to read the booking details "
                + "now, or ask for a mobile number."
        case .textRefused(.other, _):
            "The confirmation text could not be sent. Offer to read the booking details to the caller now."
        case .storageFailure:
            "Our booking system is having a problem right now. Please apologise and offer to call back."
        case .notYourBooking(let id):
            "Booking \(id) was made with another phone number, so I can't share or change it on this call. I can "
                + "text a 6-digit code to the phone on that booking: if the caller has that phone, they read the code "
                + "back and then I can help. Ask whether to send it."
        case .onlyYourNumber:
            "I can only look up bookings made with the number the caller is calling from. With a job number, I can "
                + "text a code to the phone on that booking instead."
        case .numberHidden:
            "The caller's number is hidden, so I can't find bookings by it. Ask for the job number: I can text a "
                + "code to the phone on that booking."
        case .verificationNeeded(let id, let digits):
            "To change booking \(id) I first need to confirm it's the caller's: I can text a 6-digit code to the "
                + "number ending \(digits). Ask whether to send it."
        case .notForCallers(let action):
            "Our office does that (\(action)), not the phone assistant. Offer to reschedule, cancel or confirm instead."
        case .otherNumberNeedsVerification(let digits):
            "The confirmation can go to the phone on the booking, ending \(digits). To send it to another number, "
                + "the caller first confirms the booking is theirs with a code texted to that phone."
        case .codeWrong(let triesLeft):
            triesLeft > 0
                ? "That code doesn't match. The caller has \(triesLeft) more \(triesLeft == 1 ? "try" : "tries")."
                : "That code doesn't match, and there are no tries left. Offer to send a new code."
        case .codeExpired:
            "That code has expired or its tries are used up. Offer to send a new one."
        case .noCodeSent(let id):
            "No code has been sent for booking \(id) on this call yet. Offer to send one."
        case .textLimitReached:
            "We've sent as many texts as we can for now. Offer to read the details instead, or ask the caller to try "
                + "again later."
        case .textCountryNotAllowed(let digits):
            "We only send texts within our service area, so the number ending \(digits) can't get one. Ask for a "
                + "local mobile number, or read the details instead."
        case .textsOff:
            "Texts are switched off here, so I can't send a code. Offer to transfer the caller to a person."
        }
    }
}
