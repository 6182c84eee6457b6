import Foundation
import Testing

@testable import TwilioMedia

/// Every vector in `../shared/protocols/twilio-signature-vectors.json` (computed with twilio-python 9.13.0).
@Suite struct TwilioSignatureValidatorTests {
    struct Vectors: Decodable {
        var vectors: [Vector]
        var negative: [Negative]
        var informational: [Informational]
    }

    struct Vector: Decodable, CustomTestStringConvertible {
        var name: String
        var kind: String
        var url: String
        var auth_token: String
        var params: [String: String]
        var raw_body: String?
        var string_to_sign: String
        var expected_signature: String
        var validate_url: String?

        var testDescription: String { name }
        /// The form fields as the server sees them: decoded from the raw body, not taken from the JSON object.
        var form: FormParameters { kind == "form" ? FormParameters(formEncoded: raw_body ?? "") : FormParameters() }
    }

    struct Negative: Decodable {
        var name: String
        var url: String?
        var vector: String?
        var params_from: String?
        var params_changed: [String: String]?
        var header_signature: String?
        var raw_body: String?
        var wrong_signature_if_sorted_case_insensitively: String?
        var wrong_signature_if_decoded_twice: String?
    }

    struct Informational: Decodable {
        var signed_url: String
        var signature: String
        var validate_url: String
    }

    static let data: Vectors = {
        let url = Bundle.module.url(forResource: "twilio-signature-vectors", withExtension: "json")!
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    static func vector(_ name: String) -> Vector {
        data.vectors.first { $0.name == name }!
    }

    @Test func vectorsAreLoaded() {
        #expect(Self.data.vectors.count >= 8)
        #expect(Self.data.negative.count >= 5)
    }

    @Test(arguments: data.vectors.filter { $0.kind == "form" })
    func formBodyDecodesToTheSignedParameters(vector: Vector) {
        var decoded: [String: String] = [:]
        for field in vector.form.fields { decoded[field.name] = field.value }
        #expect(decoded == vector.params)
        #expect(
            TwilioSignatureValidator.stringToSign(url: vector.url, parameters: vector.form) == vector.string_to_sign
        )
    }

    @Test(arguments: data.vectors)
    func everyVectorVerifies(vector: Vector) {
        let validator = TwilioSignatureValidator(authToken: vector.auth_token)
        let url = vector.validate_url ?? vector.url
        switch vector.kind {
        case "form":
            #expect(validator.signature(url: vector.url, parameters: vector.form) == vector.expected_signature)
            #expect(validator.isValid(signature: vector.expected_signature, url: url, parameters: vector.form))
        case "json":
            #expect(validator.signature(url: vector.url) == vector.expected_signature)
            #expect(
                validator.isValid(
                    signature: vector.expected_signature,
                    url: url,
                    jsonBody: Array(vector.raw_body!.utf8)
                )
            )
        case "ws":
            #expect(validator.signature(url: vector.url) == vector.expected_signature)
            #expect(validator.isValid(signature: vector.expected_signature, streamURL: url))
        default:
            Issue.record("unknown kind \(vector.kind)")
        }
    }

    /// Changes one byte at every position of the URL, of every parameter value, and of the token.
    @Test(arguments: data.vectors)
    func changingOneByteAnywhereFails(vector: Vector) {
        let validator = TwilioSignatureValidator(authToken: vector.auth_token)
        let url = vector.validate_url ?? vector.url
        func isValid(url: String, form: FormParameters, validator: TwilioSignatureValidator) -> Bool {
            switch vector.kind {
            case "form": validator.isValid(signature: vector.expected_signature, url: url, parameters: form)
            case "json":
                validator.isValid(
                    signature: vector.expected_signature,
                    url: url,
                    jsonBody: Array(vector.raw_body!.utf8)
                )
            default: validator.isValid(signature: vector.expected_signature, streamURL: url)
            }
        }
        for index in url.indices {
            let tampered = Self.flippingOneByte(of: url, at: index)
            // Removing a trailing slash or the default port are accepted variants, not tampering; a flip is neither.
            #expect(!isValid(url: tampered, form: vector.form, validator: validator), "url \(tampered)")
        }
        for (position, field) in vector.form.fields.enumerated() {
            var fields = vector.form.fields
            fields[position].value =
                field.value.isEmpty ? "x" : Self.flippingOneByte(of: field.value, at: field.value.startIndex)
            #expect(!isValid(url: url, form: FormParameters(fields), validator: validator), "param \(field.name)")
        }
        if vector.kind == "json", let body = vector.raw_body {
            for index in body.indices {
                let tampered = Array(Self.flippingOneByte(of: body, at: index).utf8)
                #expect(!validator.isValid(signature: vector.expected_signature, url: url, jsonBody: tampered))
            }
        }
        for index in vector.auth_token.indices {
            let token = Self.flippingOneByte(of: vector.auth_token, at: index)
            #expect(!isValid(url: url, form: vector.form, validator: TwilioSignatureValidator(authToken: token)))
        }
    }

    @Test func negativeVectorsFail() throws {
        for negative in Self.data.negative {
            switch negative.name {
            case "tampered-param":
                let base = Self.vector("voice-webhook-form-post")
                var fields = base.form.fields
                for (name, value) in negative.params_changed! {
                    let index = try #require(fields.firstIndex { $0.name == name })
                    fields[index].value = value
                }
                let validator = TwilioSignatureValidator(authToken: base.auth_token)
                #expect(
                    !validator.isValid(
                        signature: negative.header_signature!,
                        url: negative.url!,
                        parameters: FormParameters(fields)
                    )
                )
            case "wrong-scheme-http":
                let base = Self.vector(negative.params_from!)
                let validator = TwilioSignatureValidator(authToken: base.auth_token)
                #expect(
                    !validator.isValid(signature: negative.header_signature!, url: negative.url!, parameters: base.form)
                )
            case "case-insensitive-sort":
                let base = Self.vector(negative.vector!)
                let validator = TwilioSignatureValidator(authToken: base.auth_token)
                let wrong = negative.wrong_signature_if_sorted_case_insensitively!
                #expect(validator.signature(url: base.url, parameters: base.form) != wrong)
                #expect(!validator.isValid(signature: wrong, url: base.url, parameters: base.form))
            case "double-decoded-calltoken":
                let base = Self.vector(negative.vector!)
                let validator = TwilioSignatureValidator(authToken: base.auth_token)
                let wrong = negative.wrong_signature_if_decoded_twice!
                #expect(!validator.isValid(signature: wrong, url: base.url, parameters: base.form))
                #expect(validator.isValid(signature: base.expected_signature, url: base.url, parameters: base.form))
            case "json-body-modified":
                let base = Self.vector("json-body-bodySHA256")
                let validator = TwilioSignatureValidator(authToken: base.auth_token)
                #expect(
                    !validator.isValid(
                        signature: negative.header_signature!,
                        url: negative.url!,
                        jsonBody: Array(negative.raw_body!.utf8)
                    )
                )
            default:
                Issue.record("negative vector \(negative.name) has no check")
            }
        }
    }

    /// twilio-python rejects this pair (it adds :80 to non-https schemes); we also try :443 for wss, as the brief allows.
    @Test func wssSignedWithPort443IsAccepted() throws {
        let info = try #require(Self.data.informational.first)
        let validator = TwilioSignatureValidator(authToken: Self.vector("ws-upgrade-media-stream").auth_token)
        #expect(validator.signature(url: info.signed_url) == info.signature)
        #expect(validator.isValid(signature: info.signature, streamURL: info.validate_url))
    }

    @Test func malformedSignaturesFail() {
        let vector = Self.vector("voice-webhook-form-post")
        let validator = TwilioSignatureValidator(authToken: vector.auth_token)
        for signature in [
            "", "not base64!", String(vector.expected_signature.dropLast(2)), vector.expected_signature + "AA==",
        ] {
            #expect(!validator.isValid(signature: signature, url: vector.url, parameters: vector.form))
        }
    }

    @Test func candidateURLsAddAndRemoveDefaultPorts() {
        #expect(
            TwilioSignatureValidator.candidateURLs(for: "https://a.example:443/voice?x=1")
                == ["https://a.example:443/voice?x=1", "https://a.example/voice?x=1"]
        )
        #expect(
            TwilioSignatureValidator.candidateURLs(for: "http://a.example/voice")
                == ["http://a.example/voice", "http://a.example:80/voice"]
        )
        #expect(
            TwilioSignatureValidator.candidateURLs(for: "https://user:pw@a.example:8443/v")
                == ["https://user:pw@a.example:8443/v", "https://a.example/v", "https://a.example:443/v"]
        )
        #expect(
            TwilioSignatureValidator.candidateURLs(for: "wss://[::1]/media-stream")
                == ["wss://[::1]/media-stream", "wss://[::1]:443/media-stream"]
        )
    }

    @Test func streamTokenIsBoundToTheCall() {
        let validator = TwilioSignatureValidator(authToken: "token-a")
        let token = validator.streamToken(callSid: "CA1")
        #expect(validator.isValid(streamToken: token, callSid: "CA1"))
        #expect(!validator.isValid(streamToken: token, callSid: "CA2"))
        #expect(!TwilioSignatureValidator(authToken: "token-b").isValid(streamToken: token, callSid: "CA1"))
        #expect(!validator.isValid(streamToken: "", callSid: "CA1"))
        #expect(!token.contains("+") && !token.contains("/") && !token.contains("="))
    }

    /// The token covers every parameter the stream carries: a changed, added or removed one, or one value moved to
    /// another name, makes it invalid (issue 13: the tools trust `from`).
    @Test func streamTokenIsBoundToEveryParameter() {
        let validator = TwilioSignatureValidator(authToken: "token-a")
        let parameters = ["callSid": "CA1", "from": "+14155552671", "to": "+15005550006"]
        let token = validator.streamToken(callSid: "CA1", parameters: parameters)
        #expect(validator.isValid(streamToken: token, callSid: "CA1", parameters: parameters))
        var changed = parameters
        changed["from"] = "+12125550123"
        #expect(!validator.isValid(streamToken: token, callSid: "CA1", parameters: changed))
        var added = parameters
        added["note"] = "x"
        #expect(!validator.isValid(streamToken: token, callSid: "CA1", parameters: added))
        var removed = parameters
        removed["to"] = nil
        #expect(!validator.isValid(streamToken: token, callSid: "CA1", parameters: removed))
        // Lengths are part of the message: a value cannot slide from one parameter into the next.
        let a = validator.streamToken(callSid: "CA1", parameters: ["a": "1\n1:b=1:2"])
        let b = validator.streamToken(callSid: "CA1", parameters: ["a": "1", "b": "2"])
        #expect(a != b)
        #expect(!validator.isValid(streamToken: token, callSid: "CA1"))
    }

    /// While a token is rotated, a signature made with either is valid; what the server signs uses the primary, and
    /// a stream token made with either is accepted.
    @Test func aSecondaryTokenIsAcceptedBesideThePrimary() {
        let url = "https://voice.example.com/voice/incoming"
        let form = FormParameters([("CallSid", "CA1"), ("From", "+14155552671")])
        let rotating = TwilioSignatureValidator(authToken: "token-old", secondaryAuthToken: "token-new")
        let old = TwilioSignatureValidator(authToken: "token-old")
        let new = TwilioSignatureValidator(authToken: "token-new")
        #expect(rotating.isValid(signature: old.signature(url: url, parameters: form), url: url, parameters: form))
        #expect(rotating.isValid(signature: new.signature(url: url, parameters: form), url: url, parameters: form))
        let other = TwilioSignatureValidator(authToken: "token-other").signature(url: url, parameters: form)
        #expect(!rotating.isValid(signature: other, url: url, parameters: form))
        #expect(rotating.signature(url: url, parameters: form) == old.signature(url: url, parameters: form))
        #expect(rotating.isValid(streamToken: new.streamToken(callSid: "CA1"), callSid: "CA1"))
        #expect(rotating.streamToken(callSid: "CA1") == old.streamToken(callSid: "CA1"))
        #expect(!old.isValid(signature: new.signature(url: url, parameters: form), url: url, parameters: form))
    }

    /// Replaces the byte at `index` with a different printable byte, keeping the string valid UTF-8.
    static func flippingOneByte(of text: String, at index: String.Index) -> String {
        var characters = Array(text)
        let position = text.distance(from: text.startIndex, to: index)
        characters[position] = characters[position] == "x" ? "y" : "x"
        return String(characters)
    }
}
