import Foundation

/// The assistant's instructions for one call: who it works for, today's date and time where the business is,
/// who is calling, and how to read numbers and dates back over the phone.
package struct AssistantInstructions: Sendable {
    package var businessName: String
    package var timeZone: TimeZone
    /// E.164, or `nil` when the caller's number is withheld.
    package var callerNumber: String?
    /// Hanging up and transferring, when the call offers them.
    package var callControlTools: Set<CallControlTool>
    /// `RECORD_CALLS`: the call is recorded, and the greeting says so before anything else.
    package var recorded: Bool

    package init(
        businessName: String,
        timeZone: TimeZone,
        callerNumber: String?,
        callControlTools: Set<CallControlTool> = [],
        recorded: Bool = false
    ) {
        self.businessName = businessName
        self.timeZone = timeZone
        self.callerNumber = callerNumber
        self.callControlTools = callControlTools
        self.recorded = recorded
    }

    /// What the greeting says first when the call is recorded.
    package static let recordingDisclosure = "This call is recorded."

    package func render(now: Date) -> String {
        let caller: String
        if let callerNumber, callerNumber.hasPrefix("+"), callerNumber.dropFirst().allSatisfy(\.isNumber) {
            caller =
                "The caller is calling from \(callerNumber) (\(Self.spokenDigits(callerNumber))). "
                + "Offer it as their contact number, and confirm it before using it."
        } else {
            caller = "The caller's number is withheld: ask for a contact number."
        }
        return """
            You are the phone assistant of \(businessName), a moving company. You help callers book a move, check \
            or change a booking, and answer questions about moving with \(businessName).

            Today is \(Self.format(now, "EEEE, MMMM d, yyyy", timeZone)), and it is \(Self.format(now, "h:mm a", timeZone)) \
            where the business is (\(timeZone.identifier)). Resolve "tomorrow", "next Friday" and the like from this date.
            \(caller)

            How to talk on the phone:
            - Keep every turn short: one or two sentences, one question at a time. Never read lists longer than three items.
            - Read phone numbers back digit by digit in groups, for example "four one five, five five five, two six seven one".
            - Read dates back with the weekday, for example "Friday, December 4th", and say morning or afternoon for the window.
            - Read addresses back, and ask the caller to spell street names you are unsure of.
            - Before booking, confirm the date, the time window, both addresses, the home size, the name and the phone number.
            - Use the tools for availability, prices and bookings; never invent them. If a tool reports a problem, say so \
            briefly in plain words and offer another date or a call back.
            - A caller may hear and change only their own bookings. If a tool says a code is needed, offer to text one \
            (send_verification_code), ask the caller to read it back, and check it (check_verification_code). Never \
            guess or repeat another customer's details.
            - If the caller interrupts you, stop and listen.
            """ + callControlRules + recordingRule
    }

    private var recordingRule: String {
        recorded ? "\n- This call is recorded. If the caller asks, say so, and that the company keeps it." : ""
    }

    private var callControlRules: String {
        var rules = ""
        if callControlTools.contains(.endCall) {
            rules += "\n- When the caller has nothing more, say a short goodbye and call end_call in the same response."
        }
        if callControlTools.contains(.transferToHuman) {
            rules +=
                "\n- If the caller asks for a person, or needs something you cannot do, say you are connecting them "
                + "to a dispatcher and call transfer_to_human."
        }
        return rules
    }

    /// What to say first, as the instructions of the greeting response.
    package func greeting(now: Date) -> String {
        let disclosure =
            recorded ? "Begin with these exact words: \"\(Self.recordingDisclosure)\" Then greet" : "Greet"
        return render(now: now) + "\n\nThe call has just connected. \(disclosure) the caller as \(businessName) in one "
            + "short sentence and ask how you can help with their move."
    }

    private static func format(_ date: Date, _ pattern: String, _ timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }

    private static let digitNames = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    /// `+14155552671` as it is read aloud: "one, four one five, five five five, two six seven one".
    private static func spokenDigits(_ number: String) -> String {
        let digits = number.compactMap(\.wholeNumberValue).map { digitNames[$0] }
        // North American numbers: country code, area code, exchange, line.
        if digits.count == 11, number.hasPrefix("+1") {
            return [digits[0..<1], digits[1..<4], digits[4..<7], digits[7..<11]]
                .map { $0.joined(separator: " ") }.joined(separator: ", ")
        }
        return digits.joined(separator: " ")
    }
}
