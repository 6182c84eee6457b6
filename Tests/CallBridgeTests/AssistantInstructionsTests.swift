import Foundation
import Testing

@testable import CallBridge

@Suite struct AssistantInstructionsTests {
    /// 2026-12-01 03:30 UTC: still Monday, November 30 in New York.
    let instant = Date(timeIntervalSince1970: 1_796_095_800)

    @Test func statesTheDateAndTimeWhereTheBusinessIs() {
        let newYork = AssistantInstructions(
            businessName: "NYC Quick Movers",
            timeZone: TimeZone(identifier: "America/New_York")!,
            callerNumber: "+14155552671"
        ).render(now: instant)
        #expect(newYork.contains("Today is Monday, November 30, 2026"))
        #expect(newYork.contains("10:30 PM"))
        #expect(newYork.contains("NYC Quick Movers"))

        let tokyo = AssistantInstructions(
            businessName: "Tokyo Movers",
            timeZone: TimeZone(identifier: "Asia/Tokyo")!,
            callerNumber: nil
        )
        .render(now: instant)
        #expect(tokyo.contains("Today is Tuesday, December 1, 2026"))
    }

    @Test func givesTheCallersNumberAndHowToReadItBack() {
        let text = AssistantInstructions(businessName: "B", timeZone: .gmt, callerNumber: "+14155552671").render(
            now: instant
        )
        #expect(text.contains("+14155552671"))
        #expect(text.contains("one, four one five, five five five, two six seven one"))
        #expect(text.contains("digit by digit"))
        #expect(text.contains("with the weekday"))
    }

    @Test func aWithheldNumberAsksForOne() {
        for number in [nil, "anonymous", "client:alice"] {
            let text = AssistantInstructions(businessName: "B", timeZone: .gmt, callerNumber: number).render(
                now: instant
            )
            #expect(text.contains("withheld"))
        }
    }

    @Test func theGreetingAddsTheFirstLine() {
        let instructions = AssistantInstructions(businessName: "NYC Quick Movers", timeZone: .gmt, callerNumber: nil)
        let greeting = instructions.greeting(now: instant)
        #expect(greeting.hasPrefix(instructions.render(now: instant)))
        #expect(greeting.contains("Greet the caller as NYC Quick Movers"))
    }
}
