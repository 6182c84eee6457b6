import Booking
import Foundation
import VoiceTesting

/// The conversation `voice-server simulate` plays: a caller books a two-bedroom move for a morning next week,
/// asks for a text, and says goodbye. The caller's lines are recorded speech (``CallerUtterance``); the assistant
/// is the fake Realtime service, following ``script``.
package struct BookingConversation: Sendable {
    package struct Turn: Sendable {
        package var caller: CallerUtterance
        /// What the assistant does after the caller's line: speech, tool calls and the speech after them.
        package var responses: [ScriptedResponse]
    }

    package var greeting: ScriptedResponse
    package var turns: [Turn]

    /// - Parameter date: the move date the assistant asks about and books.
    package init(date: CalendarDate) throws {
        let date = date.iso
        greeting = .speech("Thanks for calling NYC Quick Movers. How can I help with your move?", milliseconds: 1800)
        turns = [
            Turn(
                caller: try CallerUtterance.load("1-ask-for-a-morning"),
                responses: [
                    .functionCalls(
                        [
                            ScriptedFunctionCall(
                                name: "check_availability",
                                arguments: #"{"date":"\#(date)","home_size":"2_bedroom"}"#
                            )
                        ],
                        preamble: "Let me check that date.",
                        preambleMilliseconds: 800
                    ),
                    .speech(
                        "That morning is free, and I have an estimate for you. Shall I book it?",
                        milliseconds: 2200
                    ),
                ]
            ),
            Turn(
                caller: try CallerUtterance.load("2-book-it"),
                responses: [
                    .functionCalls([
                        ScriptedFunctionCall(
                            name: "create_booking",
                            arguments: """
                                {"customer_name":"Dana Whitfield","pickup_address":"12 Grand St, Brooklyn",\
                                "dropoff_address":"400 W 57th St, Manhattan","date":"\(date)","window":"morning",\
                                "home_size":"2_bedroom"}
                                """
                        )
                    ]),
                    .speech("You are booked, Dana. Would you like the details by text?", milliseconds: 2000),
                ]
            ),
            Turn(
                caller: try CallerUtterance.load("3-text-me"),
                responses: [
                    .functionCalls([
                        ScriptedFunctionCall(name: "send_confirmation", arguments: #"{"job_id":"{{job_id}}"}"#)
                    ]),
                    .speech("Done: the text is on its way. Is there anything else?", milliseconds: 1800),
                ]
            ),
            Turn(
                caller: try CallerUtterance.load("4-thats-all"),
                responses: [
                    .functionCalls(
                        [ScriptedFunctionCall(name: "end_call", arguments: "{}")],
                        preamble: "Thanks for calling NYC Quick Movers. Goodbye!",
                        preambleMilliseconds: 1600
                    )
                ]
            ),
        ]
    }

    /// What the fake Realtime service says, in order, and the transcripts it gives the caller's lines.
    package var script: FakeRealtimeScript {
        FakeRealtimeScript(
            responses: [greeting] + turns.flatMap(\.responses),
            callerTranscripts: turns.map(\.caller.text)
        )
    }

    /// The caller's side: wait for the assistant to finish each answer, then say the next line; finally stay on
    /// the line until the assistant hangs up.
    package var callerSteps: [SimulatedCaller.Step] {
        var heard = greeting.audioMilliseconds
        var steps: [SimulatedCaller.Step] = []
        for turn in turns {
            steps += [
                .waitForPlayedAudio(milliseconds: heard, timeout: .seconds(20)), .silence(milliseconds: 300),
                .say(turn.caller.samples),
            ]
            heard += turn.responses.map(\.audioMilliseconds).reduce(0, +)
        }
        steps.append(.waitForServerToEndCall(timeout: .seconds(30)))
        return steps
    }

    /// The first day the company works from a week today.
    package static func moveDate(policy: BookingPolicy, today: CalendarDate) -> CalendarDate {
        var date = today.adding(days: 7)
        while policy.closedWeekdays.contains(date.weekday) { date = date.adding(days: 1) }
        return date
    }
}

extension ScriptedResponse {
    /// Milliseconds of assistant audio this response plays.
    var audioMilliseconds: Int {
        switch self {
        case .speech(_, let milliseconds): milliseconds
        case .functionCalls(_, let preamble, let milliseconds): preamble == nil ? 0 : milliseconds
        case .disconnect: 0
        }
    }
}
