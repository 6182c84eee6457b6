import Foundation
import Testing

@testable import RealtimeAPI

/// `response.output_audio.delta` is read without a general JSON decoder; every other event, and any delta that is
/// not certainly well formed, is left to it.
@Suite struct RealtimeAudioDeltaHotPathTests {
    static let delta =
        #"{"type":"response.output_audio.delta","event_id":"event_4","response_id":"resp_1","item_id":"item_2","output_index":0,"content_index":0,"delta":"f39/f39/f38="}"#

    func hotPath(_ text: String) -> RealtimeServerEvent? {
        Array(text.utf8).withUnsafeBufferPointer(RealtimeServerEvent.decodeAudioDelta)
    }

    @Test func aDeltaIsReadAsTheGeneralDecoderReadsIt() throws {
        let fast = try #require(hotPath(Self.delta))
        #expect(fast == .outputAudioDelta(responseID: "resp_1", itemID: "item_2", delta: "f39/f39/f38="))
        #expect(fast == (try JSONDecoder().decode(RealtimeServerEvent.self, from: Data(Self.delta.utf8))))
        #expect(try RealtimeServerEvent.decode(Self.delta) == fast)
    }

    @Test(arguments: [
        #"{"type":"response.output_audio.done","event_id":"e","response_id":"r","item_id":"i"}"#,
        #"{"type":"response.output_audio.delta","response_id":"r","item_id":"i"}"#,
        #"{"type":"response.output_audio.delta","response_id":"r","item_id":"i","delta":"f39\/f38="}"#,
        #"{"type":"response.output_audio.delta","response_id":"r","item_id":1,"delta":"AA=="}"#,
        #"{"type":"response.output_audio.delta","response_id":"r","item_id":"i","delta":"AA==","delta":"AA=="}"#,
        #"{"type":"session.updated","session":{"tools":[]}}"#,
    ])
    func otherEventsAndUnusualDeltasAreLeftToTheGeneralDecoder(text: String) {
        #expect(hotPath(text) == nil)
    }

    @Test func noPrefixOfADeltaIsReadAsOne() {
        let bytes = Array(Self.delta.utf8)
        for end in 0..<bytes.count {
            #expect(hotPath(String(decoding: bytes[..<end], as: UTF8.self)) == nil)
        }
    }
}
