#!/usr/bin/env bash
# Makes the simulated caller's utterances for `voice-server simulate`: speech from espeak-ng, turned by sox into
# what Twilio sends on a media stream (raw G.711 µ-law, 8 kHz, mono, no header). Run it once after changing a
# line; the files are committed, so neither tool is needed to run the simulation.
#   apt-get install -y espeak-ng sox
set -euo pipefail
cd "$(dirname "$0")/../Sources/VoiceSimulation/Resources/CallerUtterances"

say() {
    local name=$1 text=$2
    local wav
    wav=$(mktemp --suffix=.wav)
    espeak-ng -v en-us -s 170 -w "$wav" "$text"
    sox "$wav" -r 8000 -c 1 -e u-law -t raw "$name.ulaw"
    rm -f "$wav"
    echo "$name.ulaw: $(stat -c %s "$name.ulaw") bytes, \"$text\""
}

# The lines must match `BookingConversation.callerLines`, which the fake Realtime service uses as their
# transcripts.
say 1-ask-for-a-morning "Hi, do you have a morning free next week for a two bedroom move?"
say 2-book-it "Yes, please book it for Dana Whitfield, from 12 Grand Street in Brooklyn to 400 West 57th Street."
say 3-text-me "Can you text me the details?"
say 4-thats-all "No, that's all, thanks."
