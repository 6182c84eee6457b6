/// An event from the Realtime service that the call bridge acts on (GA interface, `openai-realtime.md` §5).
/// Every other event type decodes to `.other` and is skipped.
package enum RealtimeServerEvent: Sendable, Equatable {
    /// The session opened; `expiresAt` (seconds since 1970) when the service says when it will end it.
    case sessionCreated(expiresAt: Int?)
    case sessionUpdated
    case error(RealtimeError)
    /// The caller started talking (server VAD). `audioStartMilliseconds` counts from the session's first append.
    case speechStarted(itemID: String, audioStartMilliseconds: Int)
    case speechStopped(itemID: String, audioEndMilliseconds: Int)
    case responseCreated(responseID: String)
    /// Base64 µ-law audio of an assistant item, for Twilio untouched.
    case outputAudioDelta(responseID: String, itemID: String, delta: String)
    /// Part of the transcript of what the assistant is saying, ahead of its audio.
    case outputAudioTranscriptDelta(responseID: String, itemID: String, delta: String)
    case outputAudioTranscriptDone(responseID: String, itemID: String, transcript: String)
    case functionCallArgumentsDone(responseID: String, itemID: String, callID: String, name: String, arguments: String)
    case responseDone(RealtimeResponse)
    case itemTruncated(itemID: String, audioEndMilliseconds: Int)
    case inputTranscriptionCompleted(itemID: String, transcript: String)
    case other(type: String)

    package var type: String {
        switch self {
        case .sessionCreated: "session.created"
        case .sessionUpdated: "session.updated"
        case .error: "error"
        case .speechStarted: "input_audio_buffer.speech_started"
        case .speechStopped: "input_audio_buffer.speech_stopped"
        case .responseCreated: "response.created"
        case .outputAudioDelta: "response.output_audio.delta"
        case .outputAudioTranscriptDelta: "response.output_audio_transcript.delta"
        case .outputAudioTranscriptDone: "response.output_audio_transcript.done"
        case .functionCallArgumentsDone: "response.function_call_arguments.done"
        case .responseDone: "response.done"
        case .itemTruncated: "conversation.item.truncated"
        case .inputTranscriptionCompleted: "conversation.item.input_audio_transcription.completed"
        case .other(let type): type
        }
    }
}

/// The `error` of an `error` event. Most errors leave the session usable.
package struct RealtimeError: Sendable, Equatable, Decodable, Error {
    package var type: String
    package var code: String?
    package var message: String
    package var param: String?
    /// The client `event_id` the error is about, when the service says.
    package var eventID: String?

    package init(type: String, code: String?, message: String, param: String? = nil, eventID: String? = nil) {
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.eventID = eventID
    }

    private enum CodingKeys: String, CodingKey {
        case type, code, message, param
        case eventID = "event_id"
    }

    /// What an error means for the session: the one place errors are classified (issue 14).
    package enum Disposition: Sendable, Equatable {
        /// The session cannot go on, and a new one with the same credentials would fail the same way.
        case fatal
        /// This session is over, but a new one may work (the service's own trouble, the session's time limit).
        case retry
        /// The session goes on: a cancel or truncate that came too late, a request the model can live without.
        case ignore
    }

    /// Codes that never succeed on a retry (`../shared/protocols/realtime-resilience.md`).
    package static let fatalCodes: Set<String> = [
        "invalid_api_key", "insufficient_quota", "account_deactivated", "billing_hard_limit_reached",
    ]
    /// Codes after which this session is gone, but another may work.
    package static let sessionEndingCodes: Set<String> = ["session_expired"]

    package var disposition: Disposition {
        let code = code ?? ""
        if Self.fatalCodes.contains(code) { return .fatal }
        if Self.sessionEndingCodes.contains(code) || type == "server_error" { return .retry }
        return .ignore
    }
}

/// The `response` of `response.done`.
package struct RealtimeResponse: Sendable, Equatable, Decodable {
    package var id: String
    /// `completed`, `cancelled`, `incomplete` or `failed`.
    package var status: String
    /// Why it was cancelled or is incomplete: `turn_detected`, `client_cancelled`, `max_output_tokens`, ….
    package var statusReason: String?
    package var output: [OutputItem]
    package var usage: RealtimeUsage?

    package struct OutputItem: Sendable, Equatable, Decodable {
        package var id: String?
        /// `message`, `function_call`, ….
        package var type: String
        package var callID: String?
        package var name: String?

        private enum CodingKeys: String, CodingKey {
            case id, type, name
            case callID = "call_id"
        }
    }

    package init(
        id: String,
        status: String,
        statusReason: String? = nil,
        output: [OutputItem] = [],
        usage: RealtimeUsage? = nil
    ) {
        self.id = id
        self.status = status
        self.statusReason = statusReason
        self.output = output
        self.usage = usage
    }

    private enum CodingKeys: String, CodingKey {
        case id, status, output, usage
        case statusDetails = "status_details"
    }

    private struct StatusDetails: Decodable {
        var reason: String?
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        status = try container.decodeIfPresent(String.self, forKey: .status) ?? "completed"
        statusReason = try container.decodeIfPresent(StatusDetails.self, forKey: .statusDetails)?.reason
        output = try container.decodeIfPresent([OutputItem].self, forKey: .output) ?? []
        usage = try container.decodeIfPresent(RealtimeUsage.self, forKey: .usage)
    }
}

/// Token usage of one response (`response.done.response.usage`).
package struct RealtimeUsage: Sendable, Equatable, Decodable {
    package var totalTokens: Int
    package var inputTokens: Int
    package var outputTokens: Int
    package var inputTextTokens: Int
    package var inputAudioTokens: Int
    package var cachedInputTokens: Int
    package var outputTextTokens: Int
    package var outputAudioTokens: Int

    package init(
        totalTokens: Int = 0,
        inputTokens: Int = 0,
        outputTokens: Int = 0,
        inputTextTokens: Int = 0,
        inputAudioTokens: Int = 0,
        cachedInputTokens: Int = 0,
        outputTextTokens: Int = 0,
        outputAudioTokens: Int = 0
    ) {
        self.totalTokens = totalTokens
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.inputTextTokens = inputTextTokens
        self.inputAudioTokens = inputAudioTokens
        self.cachedInputTokens = cachedInputTokens
        self.outputTextTokens = outputTextTokens
        self.outputAudioTokens = outputAudioTokens
    }

    private enum CodingKeys: String, CodingKey {
        case totalTokens = "total_tokens", inputTokens = "input_tokens", outputTokens = "output_tokens"
        case inputDetails = "input_token_details", outputDetails = "output_token_details"
    }

    private struct Details: Decodable {
        var textTokens: Int?
        var audioTokens: Int?
        var cachedTokens: Int?

        private enum CodingKeys: String, CodingKey {
            case textTokens = "text_tokens", audioTokens = "audio_tokens", cachedTokens = "cached_tokens"
        }
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        totalTokens = try container.decodeIfPresent(Int.self, forKey: .totalTokens) ?? 0
        inputTokens = try container.decodeIfPresent(Int.self, forKey: .inputTokens) ?? 0
        outputTokens = try container.decodeIfPresent(Int.self, forKey: .outputTokens) ?? 0
        let input = try container.decodeIfPresent(Details.self, forKey: .inputDetails)
        let output = try container.decodeIfPresent(Details.self, forKey: .outputDetails)
        inputTextTokens = input?.textTokens ?? 0
        inputAudioTokens = input?.audioTokens ?? 0
        cachedInputTokens = input?.cachedTokens ?? 0
        outputTextTokens = output?.textTokens ?? 0
        outputAudioTokens = output?.audioTokens ?? 0
    }
}
