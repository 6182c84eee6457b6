import Crypto
import Foundation

/// Checks `X-Twilio-Signature` headers: base64(HMAC-SHA1(auth token, URL + sorted form fields)).
///
/// Follows twilio-python's `RequestValidator` (see `../shared/protocols/twilio.md` §4): the URL is accepted as
/// given, without its port, or with the scheme's default port; a WebSocket upgrade may also be signed with a
/// trailing slash. The comparison is constant-time (swift-crypto's `isValidAuthenticationCode`).
///
/// A secondary auth token (`TWILIO_AUTH_TOKEN_SECONDARY`) is accepted beside the primary one, so the operator can
/// promote a new token in the Twilio console without a signature failing; what the server signs itself (stream
/// tokens) uses the primary.
package struct TwilioSignatureValidator: Sendable {
    /// Each auth token's UTF-8 bytes, the primary first. (swift-crypto 3's `SymmetricKey` is not `Sendable`, so the
    /// keys are made per use.)
    private let keyBytes: [[UInt8]]

    package init(authToken: String, secondaryAuthToken: String? = nil) {
        self.keyBytes = [Array(authToken.utf8)] + (secondaryAuthToken.map { [Array($0.utf8)] } ?? [])
    }

    /// The primary token's key: what this server signs with.
    private var key: SymmetricKey { SymmetricKey(data: keyBytes[0]) }

    /// Every accepted token's key.
    private var keys: [SymmetricKey] { keyBytes.map { SymmetricKey(data: $0) } }

    /// The string Twilio signs for a form `POST`: the URL, then every field name and value with no separators,
    /// names in byte order, repeated names with each distinct value in byte order.
    package static func stringToSign(url: String, parameters: FormParameters) -> String {
        var valuesByName: [String: Set<String>] = [:]
        for field in parameters.fields {
            valuesByName[field.name, default: []].insert(field.value)
        }
        var signed = url
        for name in valuesByName.keys.sorted(by: Self.byteOrder) {
            for value in valuesByName[name, default: []].sorted(by: Self.byteOrder) {
                signed += name
                signed += value
            }
        }
        return signed
    }

    /// The signature Twilio would send for this URL and form.
    package func signature(url: String, parameters: FormParameters = FormParameters()) -> String {
        let code = HMAC<Insecure.SHA1>.authenticationCode(
            for: Array(Self.stringToSign(url: url, parameters: parameters).utf8),
            using: key
        )
        return Data(code).base64EncodedString()
    }

    /// Whether `signature` is valid for a form `POST` (or a `GET`, with no parameters) to `url`.
    package func isValid(signature: String, url: String, parameters: FormParameters = FormParameters()) -> Bool {
        guard let code = Data(base64Encoded: signature) else { return false }
        // Every candidate and every token is checked, so the time taken does not depend on which one matched.
        var valid = false
        for candidate in Self.candidateURLs(for: url) {
            let message = Array(Self.stringToSign(url: candidate, parameters: parameters).utf8)
            for key in keys
            where HMAC<Insecure.SHA1>.isValidAuthenticationCode(code, authenticating: message, using: key) {
                valid = true
            }
        }
        return valid
    }

    /// Whether `signature` is valid for a JSON body: the URL carries `bodySHA256` (hex SHA-256 of the raw body),
    /// the HMAC covers the URL alone, and the body must hash to that value.
    package func isValid(signature: String, url: String, jsonBody: some DataProtocol) -> Bool {
        guard let expectedHash = Self.queryValue(named: "bodySHA256", in: url) else { return false }
        let actualHash = SHA256.hash(data: jsonBody).map { String(format: "%02x", $0) }.joined()
        let hashMatches = Self.constantTimeEqual(Array(actualHash.utf8), Array(expectedHash.lowercased().utf8))
        return isValid(signature: signature, url: url) && hashMatches
    }

    /// Whether `signature` is valid for the `GET` that opens a media stream at the `wss://` URL `streamURL`.
    package func isValid(signature: String, streamURL: String) -> Bool {
        let withSlash = streamURL.hasSuffix("/") ? String(streamURL.dropLast()) : streamURL + "/"
        let plain = isValid(signature: signature, url: streamURL)
        let slashed = isValid(signature: signature, url: withSlash)
        return plain || slashed
    }

    /// `url` as given, without its port, and with the scheme's default port (443 for https and wss, 80 otherwise).
    package static func candidateURLs(for url: String) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [url] }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        var authority = afterScheme[..<authorityEnd]
        let rest = afterScheme[authorityEnd...]
        if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        }
        let host: Substring
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            host = authority[..<colon]
        } else {
            host = authority
        }
        let defaultPort = (scheme == "https" || scheme == "wss") ? 443 : 80
        let prefix = url[..<schemeEnd.upperBound]
        let portless = String(prefix + host + rest)
        let withDefaultPort = String(prefix + host + ":\(defaultPort)" + rest)
        var candidates = [url]
        for candidate in [portless, withDefaultPort] where !candidates.contains(candidate) {
            candidates.append(candidate)
        }
        return candidates
    }

    private static func byteOrder(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    private static func queryValue(named name: String, in url: String) -> String? {
        guard let queryStart = url.firstIndex(of: "?") else { return nil }
        let query = url[url.index(after: queryStart)...].prefix { $0 != "#" }
        return FormParameters(formEncoded: query)[name]
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}

extension TwilioSignatureValidator {
    /// A token bound to one call and to the stream parameters our webhook gave it, passed to the media stream as a
    /// `<Parameter>` and checked at `start`.
    ///
    /// The upgrade's signature covers only the stream URL, which is the same for every call, so a signature seen
    /// once could open streams forever. The token proves the stream belongs to a call our signed webhook answered,
    /// and that none of its parameters (the caller's number above all, which the tools trust) was changed on the way.
    ///
    /// - Parameter parameters: every custom parameter of the stream but the token itself.
    package func streamToken(callSid: String, parameters: [String: String] = [:]) -> String {
        Self.streamToken(callSid: callSid, parameters: parameters, key: key)
    }

    /// Whether `streamToken` is what any accepted token makes for this call and these parameters.
    package func isValid(streamToken: String, callSid: String, parameters: [String: String] = [:]) -> Bool {
        var valid = false
        for key in keys {
            let expected = Self.streamToken(callSid: callSid, parameters: parameters, key: key)
            if Self.constantTimeEqual(Array(streamToken.utf8), Array(expected.utf8)) { valid = true }
        }
        return valid
    }

    private static func streamToken(callSid: String, parameters: [String: String], key: SymmetricKey) -> String {
        // Lengths before each name and value: no two sets of parameters can spell the same message.
        var message = "media-stream:\(callSid)"
        for (name, value) in parameters.sorted(by: { Self.byteOrder($0.key, $1.key) }) {
            message += "\n\(name.utf8.count):\(name)=\(value.utf8.count):\(value)"
        }
        let code = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key)
        return Data(code).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
