/// Knows, per assistant item, how much audio was sent to Twilio and how much the caller has heard.
///
/// Every media message is followed by a mark; Twilio echoes a mark once the audio before it has played, in order.
/// Between echoes the position is interpolated with the clock (Twilio plays queued audio without pauses), capped at
/// what was sent of the item (`../shared/protocols/twilio.md` §3.4), so a late echo does not hold the estimate back. Marks still pending at a `clear` were discarded, not played: `clear`
/// forgets them and their late echoes are ignored.
package struct PlaybackTracker: Sendable {
    /// µ-law at 8 kHz: 8 bytes per millisecond.
    package static let bytesPerMillisecond = 8

    private struct PendingMark: Sendable {
        var name: String
        var itemID: String
        /// How far into the item (milliseconds) playback is once this mark echoes.
        var itemMilliseconds: Int
    }

    /// Playback of `itemID` has run continuously from `itemMilliseconds` since `instant`.
    private struct Anchor: Sendable {
        var itemID: String
        var itemMilliseconds: Int
        var instant: ContinuousClock.Instant
    }

    private var sentBytes: [String: Int] = [:]
    private var echoedMilliseconds: [String: Int] = [:]
    private var pending: [PendingMark] = []
    private var pendingStart = 0
    private var anchor: Anchor?
    private var nextMarkNumber = 0

    package init() {}

    /// Milliseconds of `itemID` sent to Twilio.
    package func sentMilliseconds(of itemID: String) -> Int {
        (sentBytes[itemID] ?? 0) / Self.bytesPerMillisecond
    }

    /// Whether audio sent to Twilio has not finished playing.
    package var hasUnplayedAudio: Bool { pendingStart < pending.count }

    /// The item the caller is hearing now, if audio is playing.
    package var playingItemID: String? { hasUnplayedAudio ? pending[pendingStart].itemID : nil }

    /// Records `bytes` of `itemID` sent to Twilio and returns the name of the mark to send after them.
    package mutating func audioSent(itemID: String, bytes: Int, at now: ContinuousClock.Instant) -> String {
        let before = sentBytes[itemID] ?? 0
        if !hasUnplayedAudio {
            // Twilio's queue was empty, so this audio starts playing now.
            anchor = Anchor(itemID: itemID, itemMilliseconds: before / Self.bytesPerMillisecond, instant: now)
        }
        sentBytes[itemID] = before + bytes
        nextMarkNumber += 1
        let name = "m\(nextMarkNumber)"
        pending.append(
            PendingMark(name: name, itemID: itemID, itemMilliseconds: (before + bytes) / Self.bytesPerMillisecond)
        )
        return name
    }

    /// Twilio echoed `name`: everything before it has played. Unknown names (discarded at a `clear`) are ignored.
    package mutating func markEchoed(_ name: String, at now: ContinuousClock.Instant) {
        guard let offset = pending[pendingStart...].firstIndex(where: { $0.name == name }) else { return }
        let mark = pending[offset]
        // Marks echo in order; any earlier ones have played too.
        for played in pending[pendingStart...offset] {
            echoedMilliseconds[played.itemID] = max(echoedMilliseconds[played.itemID] ?? 0, played.itemMilliseconds)
        }
        pendingStart = offset + 1
        compactPending()
        if let next = pending[pendingStart...].first {
            let start = next.itemID == mark.itemID ? mark.itemMilliseconds : (echoedMilliseconds[next.itemID] ?? 0)
            anchor = Anchor(itemID: next.itemID, itemMilliseconds: start, instant: now)
        } else {
            anchor = nil
        }
    }

    /// Milliseconds of `itemID` the caller has heard by `now`: never more than was sent of it.
    package func heardMilliseconds(of itemID: String, at now: ContinuousClock.Instant) -> Int {
        var heard = echoedMilliseconds[itemID] ?? 0
        if let anchor, anchor.itemID == itemID, let playing = pending[pendingStart...].first, playing.itemID == itemID {
            let elapsed = now - anchor.instant
            let elapsedMilliseconds =
                Int(elapsed.components.seconds * 1000)
                + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
            heard = max(heard, anchor.itemMilliseconds + max(elapsedMilliseconds, 0))
        }
        return min(heard, sentMilliseconds(of: itemID))
    }

    /// Milliseconds sent to Twilio that the caller has not heard by `now`, over every item still playing.
    package func unplayedMilliseconds(at now: ContinuousClock.Instant) -> Int {
        var items: [String] = []
        for mark in pending[pendingStart...] where items.last != mark.itemID && !items.contains(mark.itemID) {
            items.append(mark.itemID)
        }
        return items.reduce(0) { $0 + sentMilliseconds(of: $1) - heardMilliseconds(of: $1, at: now) }
    }

    /// Twilio was told to `clear`: unplayed audio is dropped. Returns each item that had unplayed audio, with what
    /// the caller heard of it and what had been sent of it, in playback order.
    package mutating func clear(
        at now: ContinuousClock.Instant
    ) -> [(itemID: String, heardMilliseconds: Int, sentMilliseconds: Int)] {
        var cut: [(itemID: String, heardMilliseconds: Int, sentMilliseconds: Int)] = []
        for mark in pending[pendingStart...] where !cut.contains(where: { $0.itemID == mark.itemID }) {
            cut.append((mark.itemID, heardMilliseconds(of: mark.itemID, at: now), sentMilliseconds(of: mark.itemID)))
        }
        for item in cut {
            // What was not heard will never play: the item now ends where the caller stopped hearing it.
            echoedMilliseconds[item.itemID] = item.heardMilliseconds
            sentBytes[item.itemID] = item.heardMilliseconds * Self.bytesPerMillisecond
        }
        pending.removeAll()
        pendingStart = 0
        anchor = nil
        return cut
    }

    private mutating func compactPending() {
        if pendingStart > 64, pendingStart * 2 > pending.count {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
    }
}
