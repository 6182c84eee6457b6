import Foundation

/// A line the simulated caller says: recorded speech as Twilio sends it (raw G.711 µ-law, 8 kHz, mono), made by
/// `Scripts/make-caller-utterances.sh`, and its words, which the fake Realtime service gives as the transcript.
package struct CallerUtterance: Sendable {
    package struct Missing: Error, CustomStringConvertible {
        var name: String
        package var description: String { "the caller utterance \(name).ulaw is missing from the bundle" }
    }

    package var name: String
    package var text: String
    package var samples: [UInt8]

    /// The words of each recording, as the script that makes them says them.
    static let texts = [
        "1-ask-for-a-morning": "Hi, do you have a morning free next week for a two bedroom move?",
        "2-book-it":
            "Yes, please book it for Dana Whitfield, from 12 Grand Street in Brooklyn to 400 West 57th Street.",
        "3-text-me": "Can you text me the details?",
        "4-thats-all": "No, that's all, thanks.",
    ]

    package static func load(_ name: String) throws -> CallerUtterance {
        guard
            let url = Bundle.module.url(forResource: name, withExtension: "ulaw", subdirectory: "CallerUtterances")
                ?? Bundle.module.url(forResource: name, withExtension: "ulaw"),
            let data = try? Data(contentsOf: url), let text = texts[name]
        else { throw Missing(name: name) }
        return CallerUtterance(name: name, text: text, samples: [UInt8](data))
    }

    /// Length in milliseconds.
    package var milliseconds: Int { samples.count / 8 }
}
