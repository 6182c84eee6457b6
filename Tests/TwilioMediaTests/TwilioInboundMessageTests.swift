import Testing

@testable import TwilioMedia

/// Real-shaped frames, as in Twilio's documentation (`../shared/protocols/twilio.md` §3.1).
@Suite struct TwilioInboundMessageTests {
    static let payload = "f39/f39/f39/f39/f39/f39/f39/f39/f39/f39/f39/f39/f39/f38="

    func decode(_ json: String) throws -> TwilioInboundMessage {
        try TwilioInboundMessage.decode(Array(json.utf8))
    }

    @Test func decodesConnected() throws {
        let message = try decode(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
        #expect(message == .connected(.init(protocol: "Call", version: "1.0.0")))
    }

    @Test func decodesStart() throws {
        let message = try decode(
            """
            {"event":"start","sequenceNumber":"1","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",
             "start":{"accountSid":"AC123","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0","callSid":"CA123",
                      "tracks":["inbound"],
                      "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},
                      "customParameters":{"callSid":"CA123","from":"+14155552671"}}}
            """
        )
        let start = try #require(
            {
                if case .start(let start) = message { start } else { nil }
            }()
        )
        #expect(start.sequenceNumber == 1)
        #expect(start.streamSid == "MZ18ad3ab5a668481ce02b83e7395059f0")
        #expect(start.callSid == "CA123")
        #expect(start.accountSid == "AC123")
        #expect(start.tracks == ["inbound"])
        #expect(start.mediaFormat == .init(encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1))
        #expect(start.customParameters == ["callSid": "CA123", "from": "+14155552671"])
    }

    @Test func startTakesTheStreamSidFromInsideWhenTheTopLevelOneIsMissing() throws {
        let message = try decode(
            #"{"event":"start","start":{"accountSid":"AC1","streamSid":"MZ9","callSid":"CA1","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":"8000","channels":"1"}}}"#
        )
        guard case .start(let start) = message else {
            Issue.record("expected start")
            return
        }
        #expect(start.streamSid == "MZ9")
        #expect(start.customParameters.isEmpty)
        #expect(start.mediaFormat?.sampleRate == 8000)
    }

    @Test func decodesMediaWithThePayloadUntouched() throws {
        let message = try decode(
            #"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"\#(Self.payload)"},"streamSid":"MZ1"}"#
        )
        #expect(
            message
                == .media(
                    .init(
                        sequenceNumber: 3,
                        streamSid: "MZ1",
                        track: "inbound",
                        chunk: 1,
                        timestampMilliseconds: 5,
                        payload: Self.payload
                    )
                )
        )
    }

    @Test func acceptsNumbersWhereTwilioUsuallySendsStrings() throws {
        let message = try decode(
            #"{"event":"media","sequenceNumber":3,"streamSid":"MZ1","media":{"chunk":2,"timestamp":40,"payload":"AA=="}}"#
        )
        guard case .media(let media) = message else {
            Issue.record("expected media")
            return
        }
        #expect(media.sequenceNumber == 3)
        #expect(media.chunk == 2)
        #expect(media.timestampMilliseconds == 40)
    }

    @Test func decodesMarkDTMFAndStop() throws {
        #expect(
            try decode(#"{"event":"mark","sequenceNumber":"61","streamSid":"MZ1","mark":{"name":"r3-c17"}}"#)
                == .mark(.init(sequenceNumber: 61, streamSid: "MZ1", name: "r3-c17"))
        )
        #expect(
            try decode(
                #"{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"57","dtmf":{"track":"inbound_track","digit":"1"}}"#
            )
                == .dtmf(.init(sequenceNumber: 57, streamSid: "MZ1", track: "inbound_track", digit: "1"))
        )
        #expect(
            try decode(
                #"{"event":"stop","sequenceNumber":"902","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}"#
            )
                == .stop(.init(sequenceNumber: 902, streamSid: "MZ1", accountSid: "AC1", callSid: "CA1"))
        )
    }

    @Test func unknownEventsAndFieldsAreSkipped() throws {
        #expect(try decode(#"{"event":"transcript","text":"hi"}"#) == .unknown(event: "transcript"))
        let mark = try decode(#"{"event":"mark","streamSid":"MZ1","mark":{"name":"a","extra":1},"new":true}"#)
        #expect(mark == .mark(.init(sequenceNumber: nil, streamSid: "MZ1", name: "a")))
    }

    @Test(arguments: [
        ("not json", "not valid JSON"),
        ("", "not valid JSON"),
        (#"{"event":"media""#, "not valid JSON"),
        ("[1,2]", "wrong type"),
        (#"{"streamSid":"MZ1"}"#, "missing field event"),
        (#"{"event":42}"#, "wrong type at event"),
        (#"{"event":"media","streamSid":"MZ1","media":{"payload":7}}"#, "wrong type at media.payload"),
        (#"{"event":"media","streamSid":"MZ1"}"#, "missing field media"),
        (#"{"event":"media","media":{"payload":"AA=="}}"#, "missing field streamSid"),
        (#"{"event":"media","streamSid":"MZ1","media":{"payload":"AA==","chunk":"two"}}"#, "media.chunk"),
        (#"{"event":"start","streamSid":"MZ1","start":{"accountSid":"AC1"}}"#, "missing field start.callSid"),
        (#"{"event":"mark","streamSid":"MZ1","mark":"a"}"#, "wrong type at mark"),
        (#"{"event":"media","streamSid":null,"media":{"payload":"AA=="}}"#, "streamSid"),
    ])
    func malformedFramesAreRejectedWithAReason(json: String, reason: String) {
        #expect {
            try decode(json)
        } throws: { error in
            (error as? TwilioMessageDecodingError)?.description.contains(reason) == true
        }
    }

    @Test func invalidUTF8IsRejected() {
        #expect(throws: TwilioMessageDecodingError.self) {
            try TwilioInboundMessage.decode([0x7B, 0xFF, 0xFE, 0x7D])
        }
    }
}
