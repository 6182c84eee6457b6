import Foundation
import Testing
import VoiceTesting

@testable import RealtimeAPI

@Suite struct RealtimeClientEventTests {
    /// The GA client events' required fields, from openai-python 3.57.0 (`openai-realtime-events.json`).
    static let requiredFields: [String: [String]] = {
        struct Events: Decodable { var client: [String: [String]] }
        let url = Bundle.module.url(forResource: "openai-realtime-events", withExtension: "json")!
        return try! JSONDecoder().decode(Events.self, from: Data(contentsOf: url)).client
    }()

    static let session = RealtimeSessionConfiguration(
        instructions: "Be brief.",
        voice: "marin",
        transcriptionModel: "gpt-realtime-whisper",
        tools: [
            RealtimeFunctionTool(
                name: "check_availability",
                description: "Free slots.",
                parameters: ["type": "object", "properties": ["date": ["type": "string"]], "required": ["date"]]
            )
        ]
    )

    static let events: [RealtimeClientEvent] = [
        .sessionUpdate(session),
        .inputAudioBufferAppend(audio: "/////w=="),
        .conversationItemCreate(.functionCallOutput(callID: "call_1", output: #"{"ok":true}"#)),
        .conversationItemCreate(.userText("(caller connected)")),
        .conversationItemTruncate(itemID: "item_1", contentIndex: 0, audioEndMilliseconds: 1234),
        .responseCreate(instructions: "Greet the caller."),
        .responseCreate(instructions: nil),
        .responseCancel(responseID: "resp_1"),
        .responseCancel(responseID: nil),
    ]

    func decoded(_ event: RealtimeClientEvent) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(event.jsonText.utf8))
    }

    @Test func ourTableMatchesTheSDKsRequiredFields() {
        #expect(Self.requiredFields.mapValues(Set.init) == RealtimeEventShape.requiredClientFields)
    }

    @Test(arguments: events)
    func everyEventWeSendHasTheGAShape(event: RealtimeClientEvent) throws {
        let json = try decoded(event)
        #expect(json["type"]?.stringValue == event.type)
        let required = try #require(Self.requiredFields[event.type])
        for field in required {
            #expect(json[field] != nil, "\(event.type) lacks \(field)")
        }
        #expect(RealtimeEventShape.problems(in: json).isEmpty, "\(RealtimeEventShape.problems(in: json))")
    }

    @Test func theSessionIsTelephonyShaped() throws {
        let session = try #require(try decoded(.sessionUpdate(Self.session))["session"])
        #expect(session["type"] == "realtime")
        #expect(session["output_modalities"] == ["audio"])
        #expect(session["audio"]?["input"]?["format"] == ["type": "audio/pcmu"])
        #expect(session["audio"]?["output"]?["format"] == ["type": "audio/pcmu"])
        #expect(session["audio"]?["output"]?["voice"] == "marin")
        let vad = try #require(session["audio"]?["input"]?["turn_detection"])
        #expect(vad["type"] == "server_vad")
        #expect(vad["interrupt_response"] == true)
        #expect(vad["create_response"] == true)
        #expect(session["audio"]?["input"]?["transcription"]?["model"] == "gpt-realtime-whisper")
        #expect(session["tools"]?.arrayValue?.first?["type"] == "function")
        #expect(session["tools"]?.arrayValue?.first?["parameters"]?["required"] == ["date"])
        #expect(session["tool_choice"] == "auto")
    }

    @Test func appendsAreWrittenByHandAndStillValidJSON() throws {
        let payload = "f39/f39/f38+ABC="
        let text = RealtimeClientEvent.inputAudioBufferAppend(audio: payload).jsonText
        #expect(text == #"{"type":"input_audio_buffer.append","audio":"f39/f39/f38+ABC="}"#)
        #expect(try decoded(.inputAudioBufferAppend(audio: payload))["audio"]?.stringValue == payload)
        // A payload that would need escaping falls back to the encoder rather than producing broken JSON.
        #expect(try decoded(.inputAudioBufferAppend(audio: "a\"b"))["audio"]?.stringValue == "a\"b")
    }

    @Test func theShapeCheckCatchesBetaSessionsAndBadFields() throws {
        let beta: JSONValue = [
            "type": "session.update",
            "session": ["modalities": ["audio", "text"], "voice": "alloy", "input_audio_format": "g711_ulaw"],
        ]
        let problems = RealtimeEventShape.problems(in: beta)
        #expect(problems.contains("session.update: beta field session.modalities"))
        #expect(problems.contains("session.update: session.type must be realtime"))
        #expect(
            !RealtimeEventShape.problems(in: [
                "type": "conversation.item.truncate", "item_id": "i", "content_index": 0, "audio_end_ms": 1.5,
            ]).isEmpty
        )
        #expect(!RealtimeEventShape.problems(in: ["type": "input_audio_buffer.append", "audio": "***"]).isEmpty)
        #expect(
            !RealtimeEventShape.problems(in: ["type": "response.create", "response": ["modalities": ["audio"]]]).isEmpty
        )
        #expect(
            RealtimeEventShape.problems(in: ["type": "transcription_session.update"]) == [
                "transcription_session.update: not a GA client event"
            ]
        )
    }
}

@Suite struct RealtimeServerEventTests {
    func decode(_ json: String) throws -> RealtimeServerEvent {
        try RealtimeServerEvent.decode(Array(json.utf8))
    }

    @Test func decodesTheEventsTheBridgeActsOn() throws {
        #expect(
            try decode(#"{"type":"session.updated","event_id":"e1","session":{"type":"realtime"}}"#) == .sessionUpdated
        )
        #expect(
            try decode(
                #"{"type":"input_audio_buffer.speech_started","event_id":"e","item_id":"item_1","audio_start_ms":1200}"#
            )
                == .speechStarted(itemID: "item_1", audioStartMilliseconds: 1200)
        )
        #expect(
            try decode(
                #"{"type":"response.created","event_id":"e","response":{"id":"resp_1","status":"in_progress","output":[]}}"#
            ) == .responseCreated(responseID: "resp_1")
        )
        #expect(
            try decode(
                #"{"type":"response.output_audio.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"/w=="}"#
            )
                == .outputAudioDelta(responseID: "r", itemID: "i", delta: "/w==")
        )
        #expect(
            try decode(
                #"{"type":"response.function_call_arguments.done","event_id":"e","response_id":"r","item_id":"i","output_index":0,"call_id":"call_1","name":"check_availability","arguments":"{\"date\":\"tomorrow\"}"}"#
            )
                == .functionCallArgumentsDone(
                    responseID: "r",
                    itemID: "i",
                    callID: "call_1",
                    name: "check_availability",
                    arguments: #"{"date":"tomorrow"}"#
                )
        )
        #expect(
            try decode(
                #"{"type":"conversation.item.truncated","event_id":"e","item_id":"i","content_index":0,"audio_end_ms":640}"#
            )
                == .itemTruncated(itemID: "i", audioEndMilliseconds: 640)
        )
    }

    @Test func decodesResponseDoneWithUsageAndStatus() throws {
        let event = try decode(
            """
            {"type":"response.done","event_id":"e","response":{"id":"resp_1","object":"realtime.response","status":"cancelled",
             "status_details":{"type":"cancelled","reason":"turn_detected"},
             "output":[{"id":"item_1","type":"function_call","call_id":"call_1","name":"create_booking","arguments":"{}"}],
             "usage":{"total_tokens":300,"input_tokens":200,"output_tokens":100,
              "input_token_details":{"text_tokens":150,"audio_tokens":50,"image_tokens":0,"cached_tokens":64,
               "cached_tokens_details":{"text_tokens":64,"audio_tokens":0,"image_tokens":0}},
              "output_token_details":{"text_tokens":20,"audio_tokens":80}}}}
            """
        )
        guard case .responseDone(let response) = event else {
            Issue.record("expected response.done")
            return
        }
        #expect(response.status == "cancelled")
        #expect(response.statusReason == "turn_detected")
        #expect(response.output.first?.callID == "call_1")
        #expect(
            response.usage
                == RealtimeUsage(
                    totalTokens: 300,
                    inputTokens: 200,
                    outputTokens: 100,
                    inputTextTokens: 150,
                    inputAudioTokens: 50,
                    cachedInputTokens: 64,
                    outputTextTokens: 20,
                    outputAudioTokens: 80
                )
        )
    }

    @Test func errorsCarryTheirCodeAndMessage() throws {
        let event = try decode(
            #"{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"response_cancel_not_active","message":"Cancellation failed: no active response found","param":null,"event_id":null}}"#
        )
        #expect(
            event
                == .error(
                    RealtimeError(
                        type: "invalid_request_error",
                        code: "response_cancel_not_active",
                        message: "Cancellation failed: no active response found"
                    )
                )
        )
    }

    @Test func unknownEventsAreSkippedAndBrokenOnesThrow() throws {
        #expect(
            try decode(#"{"type":"rate_limits.updated","event_id":"e","rate_limits":[]}"#)
                == .other(type: "rate_limits.updated")
        )
        #expect(throws: (any Error).self) { try decode(#"{"type":"response.output_audio.delta"}"#) }
        #expect(throws: (any Error).self) { try decode("not json") }
    }
}
