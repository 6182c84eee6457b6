/// What the Realtime model charges, in dollars per million tokens; `estimate` turns a response's usage into
/// millionths of a dollar. Defaults are the published prices of `gpt-realtime` (audio in 32, cached 0.40, audio out
/// 64, text in 4, text out 16).
package struct TokenPrices: Sendable, Equatable {
    package var audioInput: Double = 32
    package var cachedInput: Double = 0.4
    package var audioOutput: Double = 64
    package var textInput: Double = 4
    package var textOutput: Double = 16

    package init() {}

    /// Millionths of a dollar for one response. Cached input tokens are charged at the cached price, the rest of
    /// the input by modality.
    package func estimate(
        inputTextTokens: Int,
        inputAudioTokens: Int,
        cachedInputTokens: Int,
        outputTextTokens: Int,
        outputAudioTokens: Int
    ) -> Int {
        let uncachedAudio = max(inputAudioTokens - cachedInputTokens, 0)
        let uncachedText = max(inputTextTokens - max(cachedInputTokens - inputAudioTokens, 0), 0)
        let dollarsPerMillion =
            Double(uncachedAudio) * audioInput + Double(uncachedText) * textInput
            + Double(min(cachedInputTokens, inputTextTokens + inputAudioTokens)) * cachedInput
            + Double(outputTextTokens) * textOutput + Double(outputAudioTokens) * audioOutput
        // Tokens × dollars per million tokens = millionths of a dollar.
        return Int(dollarsPerMillion.rounded())
    }
}
