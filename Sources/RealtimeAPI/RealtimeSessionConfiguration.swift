/// The `session` of the one `session.update` sent on connect (GA shape, `../shared/protocols/openai-realtime.md` §3).
///
/// Audio is G.711 µ-law (`audio/pcmu`) both ways, so Twilio's payloads pass through untouched.
package struct RealtimeSessionConfiguration: Sendable, Equatable {
    package var instructions: String
    package var voice: String
    /// Model for the caller's transcript; `nil` turns transcription off.
    package var transcriptionModel: String?
    package var turnDetection: TurnDetection
    package var tools: [RealtimeFunctionTool]

    /// Server voice-activity detection that starts a response when the caller stops and cancels one when they
    /// start talking.
    package struct TurnDetection: Sendable, Equatable {
        package var threshold: Double = 0.5
        package var prefixPaddingMilliseconds: Int = 300
        package var silenceDurationMilliseconds: Int = 500

        package init() {}
    }

    package init(
        instructions: String,
        voice: String,
        transcriptionModel: String?,
        turnDetection: TurnDetection = TurnDetection(),
        tools: [RealtimeFunctionTool]
    ) {
        self.instructions = instructions
        self.voice = voice
        self.transcriptionModel = transcriptionModel
        self.turnDetection = turnDetection
        self.tools = tools
    }
}

/// A function the model may call: `{"type":"function","name","description","parameters"}`.
package struct RealtimeFunctionTool: Sendable, Equatable, Encodable {
    package var name: String
    package var description: String
    /// JSON Schema of the arguments object.
    package var parameters: JSONValue

    package init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    private enum CodingKeys: String, CodingKey {
        case type, name, description, parameters
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("function", forKey: .type)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(parameters, forKey: .parameters)
    }
}

extension RealtimeSessionConfiguration: Encodable {
    private enum Keys: String, CodingKey {
        case type, outputModalities = "output_modalities", instructions, audio, tools, toolChoice = "tool_choice"
        case input, output, format, transcription, turnDetection = "turn_detection"
        case noiseReduction = "noise_reduction", voice, model
        case threshold, prefixPadding = "prefix_padding_ms", silenceDuration = "silence_duration_ms"
        case createResponse = "create_response", interruptResponse = "interrupt_response"
    }

    package func encode(to encoder: any Encoder) throws {
        var session = encoder.container(keyedBy: Keys.self)
        try session.encode("realtime", forKey: .type)
        try session.encode(["audio"], forKey: .outputModalities)
        try session.encode(instructions, forKey: .instructions)

        var audio = session.nestedContainer(keyedBy: Keys.self, forKey: .audio)
        var input = audio.nestedContainer(keyedBy: Keys.self, forKey: .input)
        try input.encode(["type": "audio/pcmu"], forKey: .format)
        try input.encode(["type": "near_field"], forKey: .noiseReduction)
        if let transcriptionModel {
            try input.encode(["model": transcriptionModel], forKey: .transcription)
        }
        var vad = input.nestedContainer(keyedBy: Keys.self, forKey: .turnDetection)
        try vad.encode("server_vad", forKey: .type)
        try vad.encode(turnDetection.threshold, forKey: .threshold)
        try vad.encode(turnDetection.prefixPaddingMilliseconds, forKey: .prefixPadding)
        try vad.encode(turnDetection.silenceDurationMilliseconds, forKey: .silenceDuration)
        try vad.encode(true, forKey: .createResponse)
        try vad.encode(true, forKey: .interruptResponse)

        var output = audio.nestedContainer(keyedBy: Keys.self, forKey: .output)
        try output.encode(["type": "audio/pcmu"], forKey: .format)
        try output.encode(voice, forKey: .voice)

        try session.encode(tools, forKey: .tools)
        try session.encode("auto", forKey: .toolChoice)
    }
}
