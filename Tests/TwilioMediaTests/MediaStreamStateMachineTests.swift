import Testing

@testable import TwilioMedia

@Suite struct MediaStreamStateMachineTests {
    static let start = TwilioInboundMessage.Start(
        sequenceNumber: 1,
        streamSid: "MZ1",
        accountSid: "AC1",
        callSid: "CA1",
        tracks: ["inbound"],
        mediaFormat: nil,
        customParameters: [:]
    )
    static let media = TwilioInboundMessage.media(
        .init(
            sequenceNumber: 2,
            streamSid: "MZ1",
            track: "inbound",
            chunk: 1,
            timestampMilliseconds: 20,
            payload: "AA=="
        )
    )
    static let stop = TwilioInboundMessage.Stop(sequenceNumber: 3, streamSid: "MZ1", accountSid: "AC1", callSid: "CA1")

    @Test func aNormalStreamStartsDeliversAndStops() {
        var machine = MediaStreamStateMachine()
        #expect(machine.receive(.connected(.init())) == .ignore(reason: "connected"))
        #expect(machine.receive(.start(Self.start)) == .start(Self.start))
        #expect(machine.start == Self.start)
        #expect(machine.receive(Self.media) == .deliver(Self.media))
        let mark = TwilioInboundMessage.mark(.init(streamSid: "MZ1", name: "m1"))
        #expect(machine.receive(mark) == .deliver(mark))
        let dtmf = TwilioInboundMessage.dtmf(.init(streamSid: "MZ1", track: "inbound_track", digit: "5"))
        #expect(machine.receive(dtmf) == .deliver(dtmf))
        #expect(machine.receive(.stop(Self.stop)) == .stop(Self.stop))
        #expect(machine.receive(Self.media) == .ignore(reason: "media after stop"))
    }

    @Test func messagesThatNeedTheStreamFailBeforeStart() {
        for message in [Self.media, .stop(Self.stop), .mark(.init(streamSid: "MZ1", name: "m"))] {
            var machine = MediaStreamStateMachine()
            #expect(machine.receive(message) == .fail(reason: "\(message.event) before start"))
        }
    }

    @Test func unknownEventsAreIgnoredInEveryState() {
        var machine = MediaStreamStateMachine()
        #expect(machine.receive(.unknown(event: "x")) == .ignore(reason: "unknown event x"))
        _ = machine.receive(.start(Self.start))
        #expect(machine.receive(.unknown(event: "y")) == .ignore(reason: "unknown event y"))
    }

    @Test func aSecondStartOrAnotherStreamFails() {
        var machine = MediaStreamStateMachine()
        _ = machine.receive(.start(Self.start))
        #expect(machine.receive(.start(Self.start)) == .fail(reason: "second start"))
        let foreign = TwilioInboundMessage.media(.init(streamSid: "MZ2", payload: "AA=="))
        #expect(machine.receive(foreign) == .fail(reason: "media for another stream"))
    }
}
