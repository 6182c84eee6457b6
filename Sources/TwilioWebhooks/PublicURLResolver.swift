import Foundation
import HTTPTypes
import Hummingbird
import ServerConfiguration

/// Rebuilds the URLs Twilio used to reach us, which is what Twilio signs.
///
/// With `PUBLIC_BASE_URL` set, its origin is used and request headers are ignored. Without it, the origin comes
/// from `X-Forwarded-Proto` and `X-Forwarded-Host` (first value each, as set by a tunnel or proxy), else `Host`
/// over plain http.
package struct PublicURLResolver: Sendable {
    package let publicBaseURL: PublicBaseURL?

    package init(publicBaseURL: PublicBaseURL?) {
        self.publicBaseURL = publicBaseURL
    }

    /// The full URL of a webhook request: origin, then path and query byte for byte.
    package func webhookURL(for request: Request) -> String {
        if let publicBaseURL {
            return publicBaseURL.origin + request.uri.string
        }
        let scheme = Self.firstValue(of: "X-Forwarded-Proto", in: request.headers)?.lowercased() ?? "http"
        return "\(scheme)://\(Self.forwardedAuthority(of: request))\(request.uri.string)"
    }

    /// The `wss://` URL of the media stream, as written into TwiML and signed on the upgrade.
    package func streamURL(for request: Request) -> String {
        if let publicBaseURL {
            return "\(publicBaseURL.webSocketScheme)://\(publicBaseURL.authority)\(Self.mediaStreamPath)"
        }
        return "wss://\(Self.forwardedAuthority(of: request))\(Self.mediaStreamPath)"
    }

    package static let mediaStreamPath = "/media-stream"

    private static func forwardedAuthority(of request: Request) -> String {
        firstValue(of: "X-Forwarded-Host", in: request.headers) ?? request.headers[hostHeader]
            ?? request.head.authority ?? "localhost"
    }

    /// HTTP/1 servers move `Host` into `authority`; a request that still carries the header is taken at its word.
    private static let hostHeader = HTTPField.Name("Host")!

    private static func firstValue(of headerName: String, in headers: HTTPFields) -> String? {
        guard let name = HTTPField.Name(headerName), let value = headers[name] else { return nil }
        let first = value.split(separator: ",", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces)
        return first?.isEmpty == false ? first : nil
    }
}
