import Foundation
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import RealtimeAPI

/// One session of the fake Realtime service. An actor: client events, voice activity and the response being
/// generated all change the same state, one at a time.
actor FakeRealtimeConnection {
    private struct ActiveResponse {
        var id: String
        var items: [[String: JSONValue]] = []
        var generator: Task<Void, Never>?
    }

    /// 1 for the server's first session: in every id, so that ids are unique across sessions as the service's are.
    private let number: Int
    private let outbound: WebSocketOutboundWriter
    private let options: FakeRealtimeServer.Options
    /// What is left to say: this session's own copy, or the server's, shared by every session.
    private let script: FakeRecorder<FakeRealtimeScript>
    private let observations: FakeRecorder<FakeRealtimeObservations>
    private let logger: Logger
    private var nextID = 0
    /// Every item in the conversation, in order, for `previous_item_id`.
    private var itemIDs: [String] = []

    // Session settings, from session.update.
    private var silenceDurationMilliseconds = 500
    private var prefixPaddingMilliseconds = 300
    private var createResponse = true
    private var interruptResponse = true
    private var transcribes = false

    // Voice activity, timed by the audio received (8 bytes per millisecond), as the service does.
    private var receivedBytes = 0
    private var speaking = false
    private var speechRunMilliseconds = 0
    private var silenceRunMilliseconds = 0
    private var userItemID: String?

    private var active: ActiveResponse?
    /// Milliseconds of audio sent per assistant item, for truncate checks.
    private var assistantAudioMilliseconds: [String: Int] = [:]
    private var deltaNumber = 0

    init(
        number: Int,
        outbound: WebSocketOutboundWriter,
        options: FakeRealtimeServer.Options,
        script: FakeRecorder<FakeRealtimeScript>,
        observations: FakeRecorder<FakeRealtimeObservations>,
        logger: Logger
    ) {
        self.number = number
        self.outbound = outbound
        self.options = options
        self.script = script
        self.observations = observations
        self.logger = logger
    }

    func open(sentBetaHeader: Bool) async {
        if sentBetaHeader {
            record { $0.violations.append("OpenAI-Beta header sent: the beta interface is retired") }
            await sendError(code: "beta_api_shape_disabled", message: "The Realtime Beta API is no longer supported.")
            try? await outbound.close(.unknown(4000), reason: "beta_api_shape_disabled")
            return
        }
        var session: [String: JSONValue] = ["type": "realtime", "id": .string(makeID("sess"))]
        if let expiresAfter = options.expiresAfter {
            let expiresAt = Date().addingTimeInterval(Double(expiresAfter.components.seconds)).timeIntervalSince1970
            session["expires_at"] = .number(expiresAt.rounded())
        }
        await send(["type": "session.created", "session": .object(session)])
        await send(["type": "conversation.created", "conversation": ["id": .string(makeID("conv"))]])
    }

    /// Set when the script made the service drop the connection.
    private(set) var isClosed = false

    func close() {
        active?.generator?.cancel()
        active = nil
    }

    /// The socket goes away mid-session, as when the service or the network fails.
    func drop() async {
        close()
        isClosed = true
        try? await outbound.close(.unexpectedServerError, reason: "dropped")
    }

    /// The session's time is up: the service's `session_expired` error, then a close with `1001`.
    func expire() async {
        close()
        await send([
            "type": "error",
            "error": [
                "type": "invalid_request_error", "code": "session_expired",
                "message": "Your session hit the maximum duration of 60 minutes.", "param": .null, "event_id": .null,
            ],
        ])
        isClosed = true
        try? await outbound.close(.goingAway, reason: "session expired")
    }

    func receive(_ text: String) async {
        guard let event = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            record { $0.violations.append("a client frame that is not JSON") }
            await sendError(code: "invalid_json", message: "The event could not be parsed as JSON.")
            return
        }
        let problems = RealtimeEventShape.problems(in: event)
        let type = event["type"]?.stringValue ?? "?"
        record {
            $0.clientEventTypes.append(type)
            $0.violations.append(contentsOf: problems)
            if type != "input_audio_buffer.append" { $0.sessions[number - 1].eventTypes.append(type) }
        }
        guard problems.isEmpty else {
            await sendError(code: "invalid_value", message: problems.joined(separator: "; "))
            return
        }
        switch type {
        case "session.update": await sessionUpdate(event)
        case "input_audio_buffer.append": await append(event["audio"]?.stringValue ?? "")
        case "response.create": await responseCreate(event)
        case "response.cancel": await responseCancel()
        case "conversation.item.create": await itemCreate(event["item"] ?? .null, after: event["previous_item_id"])
        case "conversation.item.truncate": await truncate(event)
        default: break
        }
    }

    // MARK: Client events

    private func sessionUpdate(_ event: JSONValue) async {
        guard let session = event["session"] else { return }
        record { $0.sessionUpdates.append(session) }
        let input = session["audio"]?["input"]
        if let vad = input?["turn_detection"] {
            silenceDurationMilliseconds = vad["silence_duration_ms"]?.intValue ?? silenceDurationMilliseconds
            prefixPaddingMilliseconds = vad["prefix_padding_ms"]?.intValue ?? prefixPaddingMilliseconds
            if case .bool(let value) = vad["create_response"] { createResponse = value }
            if case .bool(let value) = vad["interrupt_response"] { interruptResponse = value }
        }
        transcribes = input?["transcription"]?["model"]?.stringValue != nil
        switch options.sessionUpdateAnswer {
        case .accept:
            await send(["type": "session.updated", "session": session])
        case .reject(let code):
            await send([
                "type": "error", "event_id": .string(makeID("event")),
                "error": [
                    "type": "invalid_request_error", "code": .string(code), "message": "Invalid session configuration.",
                    "param": "session.audio", "event_id": .null,
                ],
            ])
        case .ignore:
            break
        }
    }

    private func responseCreate(_ event: JSONValue) async {
        record { $0.responseCreates.append(event) }
        guard active == nil else {
            record { $0.activeResponseConflicts += 1 }
            await sendError(
                code: "conversation_already_has_active_response",
                message: "Conversation already has an active response in progress."
            )
            return
        }
        await startResponse()
    }

    private func responseCancel() async {
        guard active != nil else {
            await sendError(
                code: "response_cancel_not_active",
                message: "Cancellation failed: no active response found"
            )
            return
        }
        await cancelActive(reason: "client_cancelled")
    }

    private func itemCreate(_ item: JSONValue, after previous: JSONValue?) async {
        let id = item["id"]?.stringValue ?? makeID("item")
        // The service places an item after `previous_item_id`, which must be "root" or an item it has.
        let previousID = previous?.stringValue
        if let previousID, previousID != "root", !itemIDs.contains(previousID) {
            record { $0.violations.append("previous_item_id \(previousID) is not an item of the conversation") }
            await sendError(code: "item_not_found", message: "Item with item_id '\(previousID)' not found.")
            return
        }
        guard !itemIDs.contains(id) else {
            record { $0.violations.append("item id \(id) is already in the conversation") }
            await sendError(code: "item_already_exists", message: "Item with id '\(id)' already exists.")
            return
        }
        if let previousID, let index = itemIDs.firstIndex(of: previousID) {
            itemIDs.insert(id, at: index + 1)
        } else {
            itemIDs.insert(id, at: previousID == "root" ? 0 : itemIDs.endIndex)
        }
        if item["type"]?.stringValue == "function_call_output" {
            let output = FakeRealtimeObservations.FunctionOutput(
                callID: item["call_id"]?.stringValue ?? "",
                output: item["output"]?.stringValue ?? ""
            )
            record { $0.functionOutputs.append(output) }
        }
        if item["type"]?.stringValue == "message", item["role"]?.stringValue == "user",
            let text = item["content"]?.arrayValue?.first?["text"]?.stringValue
        {
            record { $0.userTexts.append(text) }
        }
        var stored = item.objectValue ?? [:]
        stored["id"] = .string(id)
        record { $0.sessions[number - 1].items.append(.object(stored)) }
        let previousField: JSONValue = previousID.map(JSONValue.string) ?? .null
        await send(["type": "conversation.item.added", "previous_item_id": previousField, "item": .object(stored)])
        await send(["type": "conversation.item.done", "previous_item_id": previousField, "item": .object(stored)])
    }

    private func truncate(_ event: JSONValue) async {
        let itemID = event["item_id"]?.stringValue ?? ""
        let requested = event["audio_end_ms"]?.intValue ?? 0
        let sent = assistantAudioMilliseconds[itemID]
        let accepted = !options.rejectsTruncates && sent.map { requested <= $0 } ?? false
        let truncation = FakeRealtimeObservations.Truncation(
            itemID: itemID,
            audioEndMilliseconds: requested,
            sentMilliseconds: sent ?? 0,
            accepted: accepted,
            at: .now
        )
        record { $0.truncations.append(truncation) }
        guard let sent else {
            await sendError(code: "invalid_value", message: "Only model output audio messages can be truncated")
            return
        }
        guard accepted else {
            let sent = options.rejectsTruncates ? max(0, min(sent, requested - 1)) : sent
            // The service's wording (openai-agents-python #2370, pipecat #931).
            await sendError(
                code: "invalid_value",
                message: "Audio content of \(sent)ms is already shorter than \(requested)ms"
            )
            return
        }
        assistantAudioMilliseconds[itemID] = requested
        await send([
            "type": "conversation.item.truncated", "item_id": .string(itemID), "content_index": 0,
            "audio_end_ms": .number(Double(requested)),
        ])
    }

    // MARK: Voice activity

    private func append(_ audio: String) async {
        guard let bytes = Data(base64Encoded: audio) else { return }
        let startMilliseconds = receivedBytes / MuLaw.bytesPerMillisecond
        receivedBytes += bytes.count
        record { $0.audioReceivedBytes += bytes.count }
        let frameMilliseconds = bytes.count / MuLaw.bytesPerMillisecond
        let isSpeech = MuLaw.meanAmplitude(bytes) >= options.speechAmplitude
        if isSpeech {
            speechRunMilliseconds += frameMilliseconds
            silenceRunMilliseconds = 0
            if !speaking, speechRunMilliseconds >= options.speechStartMilliseconds {
                speaking = true
                await speechStarted(atMilliseconds: startMilliseconds + frameMilliseconds - speechRunMilliseconds)
            }
        } else {
            speechRunMilliseconds = 0
            guard speaking else { return }
            silenceRunMilliseconds += frameMilliseconds
            if silenceRunMilliseconds >= silenceDurationMilliseconds {
                speaking = false
                await speechStopped(atMilliseconds: startMilliseconds + frameMilliseconds)
            }
        }
    }

    private func speechStarted(atMilliseconds start: Int) async {
        let itemID = makeID("item")
        userItemID = itemID
        record { $0.speechStarts.append(.now) }
        await send([
            "type": "input_audio_buffer.speech_started",
            "item_id": .string(itemID),
            "audio_start_ms": .number(Double(max(0, start - prefixPaddingMilliseconds))),
        ])
        if interruptResponse, active != nil {
            await cancelActive(reason: "turn_detected")
        }
    }

    private func speechStopped(atMilliseconds end: Int) async {
        let itemID = userItemID ?? makeID("item")
        itemIDs.append(itemID)
        await send([
            "type": "input_audio_buffer.speech_stopped", "item_id": .string(itemID),
            "audio_end_ms": .number(Double(end)),
        ])
        await send(["type": "input_audio_buffer.committed", "item_id": .string(itemID), "previous_item_id": .null])
        let item: JSONValue = [
            "id": .string(itemID), "type": "message", "role": "user", "status": "completed",
            "content": [["type": "input_audio", "transcript": .null]],
        ]
        await send(["type": "conversation.item.added", "previous_item_id": .null, "item": item])
        if transcribes {
            let next = script.withLock { $0.callerTranscripts.isEmpty ? nil : $0.callerTranscripts.removeFirst() }
            let transcript = next ?? "(caller speech)"
            await send([
                "type": "conversation.item.input_audio_transcription.completed", "item_id": .string(itemID),
                "content_index": 0, "transcript": .string(transcript),
                "usage": ["type": "duration", "seconds": 1],
            ])
        }
        if createResponse, active == nil {
            await startResponse()
        }
    }

    // MARK: Responses

    private func startResponse() async {
        let scripted = script.withLock { $0.responses.isEmpty ? $0.fallback : $0.responses.removeFirst() }
        if scripted == .disconnect {
            isClosed = true
            try? await outbound.close(.goingAway, reason: "scripted disconnect")
            return
        }
        let responseID = makeID("resp")
        active = ActiveResponse(id: responseID)
        await send([
            "type": "response.created",
            "response": [
                "id": .string(responseID), "object": "realtime.response", "status": "in_progress", "output": [],
            ],
        ])
        active?.generator = Task { await self.generate(scripted, responseID: responseID) }
    }

    private func isActive(_ responseID: String) -> Bool {
        active?.id == responseID && !Task.isCancelled
    }

    private func generate(_ scripted: ScriptedResponse, responseID: String) async {
        var outputIndex = 0
        switch scripted {
        case .speech(let transcript, let milliseconds):
            guard await speak(transcript, milliseconds: milliseconds, responseID: responseID, outputIndex: outputIndex)
            else { return }
        case .disconnect:
            return
        case .functionCalls(let calls, let preamble, let preambleMilliseconds):
            if let preamble {
                guard
                    await speak(
                        preamble,
                        milliseconds: preambleMilliseconds,
                        responseID: responseID,
                        outputIndex: outputIndex
                    )
                else { return }
                outputIndex += 1
            }
            for var call in calls {
                guard isActive(responseID) else { return }
                call.arguments = filledIn(call.arguments)
                let itemID = makeID("item")
                itemIDs.append(itemID)
                let callID = makeID("call")
                record { $0.functionCalls[callID] = call }
                var item: [String: JSONValue] = [
                    "id": .string(itemID), "type": "function_call", "status": "in_progress", "call_id": .string(callID),
                    "name": .string(call.name), "arguments": "",
                ]
                await send([
                    "type": "response.output_item.added", "response_id": .string(responseID),
                    "output_index": .number(Double(outputIndex)), "item": .object(item),
                ])
                await send([
                    "type": "response.function_call_arguments.delta", "response_id": .string(responseID),
                    "item_id": .string(itemID), "output_index": .number(Double(outputIndex)),
                    "call_id": .string(callID),
                    "delta": .string(call.arguments),
                ])
                try? await Task.sleep(for: options.deltaInterval)
                guard isActive(responseID) else { return }
                await send([
                    "type": "response.function_call_arguments.done", "response_id": .string(responseID),
                    "item_id": .string(itemID), "output_index": .number(Double(outputIndex)),
                    "call_id": .string(callID),
                    "name": .string(call.name), "arguments": .string(call.arguments),
                ])
                item["status"] = "completed"
                item["arguments"] = .string(call.arguments)
                await send([
                    "type": "response.output_item.done", "response_id": .string(responseID),
                    "output_index": .number(Double(outputIndex)), "item": .object(item),
                ])
                active?.items.append(item)
                outputIndex += 1
            }
        }
        guard isActive(responseID) else { return }
        await finishActive(status: "completed", reason: nil)
    }

    /// Replaces each `{{name}}` with the string field `name` of the latest tool output that has one, as a model
    /// would reuse a job number it was just given, or else with what ``FakeRealtimeServer/Options/callerKnowledge``
    /// says the caller told it.
    private func filledIn(_ arguments: String) -> String {
        guard arguments.contains("{{") else { return arguments }
        var filled = arguments
        let outputs = observations.value.functionOutputs.reversed().compactMap {
            try? JSONDecoder().decode(JSONValue.self, from: Data($0.output.utf8))
        }
        while let open = filled.range(of: "{{"),
            let close = filled.range(of: "}}", range: open.upperBound..<filled.endIndex)
        {
            let name = String(filled[open.upperBound..<close.lowerBound])
            let value =
                outputs.lazy.compactMap { Self.firstString(named: name, in: $0) }.first ?? options.callerKnowledge(name)
                ?? ""
            filled.replaceSubrange(open.lowerBound..<close.upperBound, with: value)
        }
        return filled
    }

    /// The first string value of a field called `name`, searching objects and arrays depth first.
    private static func firstString(named name: String, in value: JSONValue) -> String? {
        switch value {
        case .object(let fields):
            if let found = fields[name]?.stringValue { return found }
            return fields.keys.sorted().lazy.compactMap { firstString(named: name, in: fields[$0]!) }.first
        case .array(let elements):
            return elements.lazy.compactMap { firstString(named: name, in: $0) }.first
        default:
            return nil
        }
    }

    /// Streams one assistant audio message; `false` if the response stopped being active.
    private func speak(_ transcript: String, milliseconds: Int, responseID: String, outputIndex: Int) async -> Bool {
        let itemID = makeID("item")
        itemIDs.append(itemID)
        assistantAudioMilliseconds[itemID] = 0
        record { $0.assistantItems.append(itemID) }
        var item: [String: JSONValue] = [
            "id": .string(itemID), "type": "message", "role": "assistant", "status": "in_progress", "content": [],
        ]
        let index = JSONValue.number(Double(outputIndex))
        await send([
            "type": "response.output_item.added", "response_id": .string(responseID), "output_index": index,
            "item": .object(item),
        ])
        await send([
            "type": "response.content_part.added", "response_id": .string(responseID), "item_id": .string(itemID),
            "output_index": index, "content_index": 0, "part": ["type": "audio", "transcript": ""],
        ])
        // The transcript streams ahead of the audio, as the service's does.
        await send([
            "type": "response.output_audio_transcript.delta", "response_id": .string(responseID),
            "item_id": .string(itemID), "output_index": index, "content_index": 0, "delta": .string(transcript),
        ])
        var remaining = milliseconds
        while remaining > 0 {
            guard isActive(responseID) else { return false }
            let chunk = min(remaining, options.deltaMilliseconds)
            remaining -= chunk
            deltaNumber += 1
            var audio = MuLaw.tone(milliseconds: chunk)
            // Each delta is unique, so a test can tell them apart at the caller's end.
            audio[0] = UInt8(truncatingIfNeeded: deltaNumber)
            audio[1] = UInt8(truncatingIfNeeded: deltaNumber >> 8)
            let delta = Data(audio).base64EncodedString()
            assistantAudioMilliseconds[itemID, default: 0] += chunk
            let now = ContinuousClock.now
            record {
                $0.sentDeltas[itemID, default: []].append(delta)
                $0.deltaSentAt[delta] = now
            }
            await send([
                "type": "response.output_audio.delta", "response_id": .string(responseID), "item_id": .string(itemID),
                "output_index": index, "content_index": 0, "delta": .string(delta),
            ])
            try? await Task.sleep(for: options.deltaInterval)
        }
        guard isActive(responseID) else { return false }
        await send([
            "type": "response.output_audio.done", "response_id": .string(responseID), "item_id": .string(itemID),
            "output_index": index, "content_index": 0,
        ])
        await send([
            "type": "response.output_audio_transcript.done", "response_id": .string(responseID),
            "item_id": .string(itemID),
            "output_index": index, "content_index": 0, "transcript": .string(transcript),
        ])
        item["status"] = "completed"
        item["content"] = [["type": "output_audio", "transcript": .string(transcript)]]
        await send([
            "type": "response.output_item.done", "response_id": .string(responseID), "output_index": index,
            "item": .object(item),
        ])
        active?.items.append(item)
        return true
    }

    private func cancelActive(reason: String) async {
        active?.generator?.cancel()
        record { $0.responsesCancelled += 1 }
        await finishActive(status: "cancelled", reason: reason)
    }

    private func finishActive(status: String, reason: String?) async {
        guard let response = active else { return }
        active = nil
        let audioMilliseconds = response.items.compactMap { $0["id"]?.stringValue }.compactMap {
            assistantAudioMilliseconds[$0]
        }.reduce(0, +)
        let inputAudioTokens = receivedBytes / MuLaw.bytesPerMillisecond / 100
        let outputAudioTokens = audioMilliseconds / 50
        var details: [String: JSONValue] = ["type": .string(status)]
        if let reason { details["reason"] = .string(reason) }
        await send([
            "type": "response.done",
            "response": [
                "id": .string(response.id), "object": "realtime.response", "status": .string(status),
                "status_details": .object(details), "output": .array(response.items.map(JSONValue.object)),
                "usage": [
                    "total_tokens": .number(Double(120 + inputAudioTokens + outputAudioTokens + 20)),
                    "input_tokens": .number(Double(120 + inputAudioTokens)),
                    "output_tokens": .number(Double(outputAudioTokens + 20)),
                    "input_token_details": [
                        "text_tokens": 120, "audio_tokens": .number(Double(inputAudioTokens)), "image_tokens": 0,
                        "cached_tokens": 64,
                        "cached_tokens_details": ["text_tokens": 64, "audio_tokens": 0, "image_tokens": 0],
                    ],
                    "output_token_details": ["text_tokens": 20, "audio_tokens": .number(Double(outputAudioTokens))],
                ],
            ],
        ])
    }

    // MARK: Sending

    private func makeID(_ prefix: String) -> String {
        nextID += 1
        return "\(prefix)_\(number)_\(String(format: "%06d", nextID))"
    }

    private func send(_ fields: [String: JSONValue]) async {
        var fields = fields
        fields["event_id"] = .string(makeID("event"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(JSONValue.object(fields)) else { return }
        do {
            try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
        } catch {
            logger.debug("Fake Realtime could not send", metadata: ["reason": "\(error)"])
        }
    }

    private func sendError(code: String, message: String) async {
        await send([
            "type": "error",
            "error": [
                "type": "invalid_request_error", "code": .string(code), "message": .string(message), "param": .null,
                "event_id": .null,
            ],
        ])
    }

    private func record(_ change: (inout FakeRealtimeObservations) -> Void) {
        observations.withLock { change(&$0) }
    }
}
