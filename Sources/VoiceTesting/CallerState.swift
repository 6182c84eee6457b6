import Foundation
import RealtimeAPI

/// The simulated caller's side of the stream: what is queued to play, and what happened so far.
struct CallerState: Sendable {
    enum Queued: Sendable {
        case audio(count: Int)
        case mark(String)
    }

    var report: CallerReport
    var queue: [Queued] = []
    var speaking = false
    /// Samples being said by a `say` step, and how many are sent.
    var utterance: (samples: [UInt8], sent: Int)?
    var hungUp = false
    var serverClosed = false
    var sequenceNumber = 1
    var lastPlayedAt = ContinuousClock.now

    init(report: CallerReport) {
        self.report = report
    }

    /// The next 20 ms of the utterance being said, base64, padded with silence; `nil` once it is all sent.
    mutating func nextUtteranceFrame() -> String? {
        guard let (samples, sent) = utterance else { return nil }
        guard sent < samples.count else {
            utterance = nil
            return nil
        }
        var frame = Array(samples[sent..<min(sent + MuLaw.frameBytes, samples.count)])
        frame += [UInt8](repeating: MuLaw.silenceByte, count: MuLaw.frameBytes - frame.count)
        utterance = (samples, sent + MuLaw.frameBytes)
        return Data(frame).base64EncodedString()
    }

    /// Plays up to `bytes` of queued audio; returns the marks reached, which Twilio echoes.
    mutating func play(bytes: Int, at now: ContinuousClock.Instant) -> [String] {
        var remaining = bytes
        var reached: [String] = []
        while let first = queue.first {
            switch first {
            case .mark(let name):
                queue.removeFirst()
                reached.append(name)
                continue
            case .audio(let count):
                guard remaining > 0 else { break }
                let played = min(count, remaining)
                remaining -= played
                report.playedBytes += played
                if report.firstAudioPlayedAt == nil { report.firstAudioPlayedAt = now }
                lastPlayedAt = now
                if played == count { queue.removeFirst() } else { queue[0] = .audio(count: count - played) }
                continue
            }
            break
        }
        if remaining < bytes { report.playbackTimeline.append((now, report.playedBytes)) }
        report.marksEchoed.append(contentsOf: reached)
        return reached
    }

    /// Handles one message from the server; returns marks to echo at once.
    mutating func receive(_ text: String, expectedStreamSid: String, at now: ContinuousClock.Instant) -> [String] {
        guard let message = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
            let fields = message.objectValue, let event = message["event"]?.stringValue
        else {
            report.violations.append("a message that is not a JSON object with an event")
            return []
        }
        if message["streamSid"]?.stringValue != expectedStreamSid {
            report.violations.append("\(event) with streamSid \(message["streamSid"]?.stringValue ?? "none")")
        }
        func expectKeys(_ keys: Set<String>, _ object: [String: JSONValue]?, _ what: String) {
            if Set(object?.keys ?? [:].keys) != keys {
                report.violations.append("\(what) has fields \(object?.keys.sorted() ?? [])")
            }
        }
        switch event {
        case "media":
            expectKeys(["event", "streamSid", "media"], fields, "media")
            expectKeys(["payload"], message["media"]?.objectValue, "media.media")
            guard let payload = message["media"]?["payload"]?.stringValue, let audio = Data(base64Encoded: payload)
            else {
                report.violations.append("media without a base64 payload")
                return []
            }
            report.receivedMedia.append(payload)
            report.mediaReceivedAt[payload] = now
            queue.append(.audio(count: audio.count))
            return []
        case "mark":
            expectKeys(["event", "streamSid", "mark"], fields, "mark")
            guard let name = message["mark"]?["name"]?.stringValue else {
                report.violations.append("mark without a name")
                return []
            }
            queue.append(.mark(name))
            // With nothing left to play before it, Twilio echoes a mark at once.
            return queue.contains { if case .audio = $0 { true } else { false } } ? [] : play(bytes: 0, at: now)
        case "clear":
            expectKeys(["event", "streamSid"], fields, "clear")
            report.clears.append(CallerReport.Clear(playedBytes: report.playedBytes, at: now))
            // Queued audio is dropped and every pending mark comes back at once.
            let pending = queue.compactMap { if case .mark(let name) = $0 { name } else { nil } }
            queue.removeAll()
            report.marksEchoed.append(contentsOf: pending)
            return pending
        default:
            report.violations.append("unexpected event \(event)")
            return []
        }
    }
}
