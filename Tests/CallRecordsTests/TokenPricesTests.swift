import CallRecords
import Testing

/// The estimated cost of a response, in millionths of a dollar, from the published prices per million tokens.
struct TokenPricesTests {
    @Test func audioAndTextAreChargedAtTheirOwnPrices() {
        let prices = TokenPrices()
        // 1,000 audio tokens in at $32/M = 32,000 µ$; 500 audio out at $64/M = 32,000 µ$; 100 text in at $4/M = 400.
        let cost = prices.estimate(
            inputTextTokens: 100,
            inputAudioTokens: 1_000,
            cachedInputTokens: 0,
            outputTextTokens: 0,
            outputAudioTokens: 500
        )
        #expect(cost == 64_400)
    }

    @Test func cachedInputIsChargedAtTheCachedPriceAndNeverTwice() {
        var prices = TokenPrices()
        prices.cachedInput = 1
        // 800 of the 1,000 audio tokens were cached: 200 × 32 + 800 × 1.
        let cost = prices.estimate(
            inputTextTokens: 0,
            inputAudioTokens: 1_000,
            cachedInputTokens: 800,
            outputTextTokens: 0,
            outputAudioTokens: 0
        )
        #expect(cost == 200 * 32 + 800)
        // More cached tokens than input tokens cannot make the estimate count any of them twice.
        let capped = prices.estimate(
            inputTextTokens: 10,
            inputAudioTokens: 0,
            cachedInputTokens: 50,
            outputTextTokens: 0,
            outputAudioTokens: 0
        )
        #expect(capped == 10)
    }

}

/// Outcomes are stored by name in existing databases: the names cannot change.
struct CallOutcomeTests {
    @Test func outcomesKeepTheirStoredNames() {
        let stored: [CallOutcome: String] = [
            .booked: "booked", .transferred: "transferred", .endedByAssistant: "ended_by_assistant",
            .endedByCaller: "ended_by_caller", .failed: "failed",
        ]
        for (outcome, name) in stored {
            #expect(outcome.rawValue == name)
            #expect(CallOutcome(rawValue: name) == outcome)
        }
        #expect(CallOutcome(rawValue: "endedByCaller") == nil)
    }
}
