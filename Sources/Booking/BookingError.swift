/// Why the booking system refused something. Each case carries the facts, and ``speakableMessage`` says it in a
/// sentence the assistant can read to the caller.
package enum BookingError: Error, Sendable, Equatable {
    case unreadableDate(String)
    case dateInPast(CalendarDate)
    case closedDay(CalendarDate)
    case beyondHorizon(CalendarDate, lastBookable: CalendarDate)
    case slotTaken(CalendarDate, TimeWindow)
    case jobNotFound(String)
    case invalidTransition(jobID: String, from: JobStatus, to: JobStatus)
    case invalidArgument(field: String, reason: String)
    /// The text message could not be sent to that number.
    case textRefused(DeliveryRefusal, lastDigits: String)
    /// The store failed; the details are logged, not spoken.
    case storageFailure(String)

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
        }
    }
}
