import CallRecords
import RealtimeAPI

extension TokenPrices {
    /// Millionths of a dollar for one response's usage.
    func estimate(_ usage: RealtimeUsage) -> Int {
        estimate(
            inputTextTokens: usage.inputTextTokens,
            inputAudioTokens: usage.inputAudioTokens,
            cachedInputTokens: usage.cachedInputTokens,
            outputTextTokens: usage.outputTextTokens,
            outputAudioTokens: usage.outputAudioTokens
        )
    }
}
