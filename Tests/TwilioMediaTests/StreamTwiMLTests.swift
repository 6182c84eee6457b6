import Foundation
import Testing
import VoiceTesting

@testable import TwilioMedia

@Suite struct StreamTwiMLTests {
    @Test func connectsTheStreamWithParametersThenApologises() throws {
        let twiml = StreamTwiML(
            streamURL: "wss://voice.example.com/media-stream",
            parameters: [("callSid", "CA1"), ("from", "+14155552671")],
            apology: "Sorry, we can't talk right now."
        )
        let response = try TwiMLElement.parse(twiml.xml)
        #expect(response.name == "Response")
        #expect(response.children.map(\.name) == ["Connect", "Say", "Hangup"])
        let stream = try #require(response.child("Connect")?.child("Stream"))
        #expect(stream.attributes == ["url": "wss://voice.example.com/media-stream"])
        #expect(stream.children.map(\.name) == ["Parameter", "Parameter"])
        #expect(
            stream.children.map { $0.attributes } == [
                ["name": "callSid", "value": "CA1"], ["name": "from", "value": "+14155552671"],
            ]
        )
        #expect(response.child("Say")?.text == "Sorry, we can't talk right now.")
    }

    @Test func everyValueIsEscaped() throws {
        let hostile = #"a&b<c>"d'e</Parameter><Hangup/>"#
        let twiml = StreamTwiML(
            streamURL: "wss://x.example/media-stream",
            parameters: [(hostile, hostile)],
            apology: hostile
        )
        #expect(!twiml.xml.contains("a&b"))
        let response = try TwiMLElement.parse(twiml.xml)
        let parameter = try #require(response.child("Connect")?.child("Stream")?.child("Parameter"))
        #expect(parameter.attributes == ["name": hostile, "value": hostile])
        #expect(response.child("Say")?.text == hostile)
        #expect(response.children.map(\.name) == ["Connect", "Say", "Hangup"])
    }
}

@Suite struct FormParametersTests {
    @Test func decodesPlusAndPercentOnce() {
        let form = FormParameters(
            formEncoded: "From=%2B14155552671&City=SAN+FRANCISCO&Token=%257B%2522a%2522&Empty=&Bare"
        )
        #expect(form["From"] == "+14155552671")
        #expect(form["City"] == "SAN FRANCISCO")
        #expect(form["Token"] == "%7B%22a%22")
        #expect(form["Empty"] == "")
        #expect(form["Bare"] == "")
        #expect(form["Missing"] == nil)
    }

    @Test func keepsRepeatedNamesAndMalformedEscapes() {
        let form = FormParameters(formEncoded: "a=1&a=2&b=%zz&c=%4")
        #expect(form.fields.map(\.value) == ["1", "2", "%zz", "%4"])
        #expect(form["a"] == "1")
    }

    @Test func encodingThenDecodingGivesTheSameFields() {
        let fields = FormParameters([
            ("To", "+14155552671"), ("Body", "Job QM-7K3P9D: Fri 4 Dec, 8–12 & more/ok?"), ("Empty", ""),
        ])
        #expect(fields.formEncoded.hasPrefix("To=%2B14155552671&Body=Job%20QM-7K3P9D"))
        #expect(FormParameters(formEncoded: fields.formEncoded) == fields)
    }

    @Test func repeatedNamesAreSignedSortedAndDistinct() {
        let form = FormParameters([("b", "2"), ("a", "z"), ("a", "y"), ("a", "z")])
        #expect(TwilioSignatureValidator.stringToSign(url: "u", parameters: form) == "uayazb2")
    }
}

@Suite struct MaskedPhoneNumberTests {
    @Test func showsOnlyTheLastFourDigits() {
        #expect("\(MaskedPhoneNumber("+14155552671"))" == "***2671")
        #expect("\(MaskedPhoneNumber("anonymous"))" == "***")
        #expect("\(MaskedPhoneNumber("client:alice"))" == "***")
        #expect("\(MaskedPhoneNumber(nil))" == "none")
    }
}
