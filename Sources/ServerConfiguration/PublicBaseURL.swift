import Foundation

/// The public origin Twilio reaches, such as `https://voice.example.com` or an ngrok URL.
///
/// Webhook URLs for signature checks are this origin plus the request's path and query; the media stream URL is
/// the same host with `wss` (or `ws` for a plain-http origin) and `/media-stream`.
package struct PublicBaseURL: Sendable, Equatable {
    /// `https` or `http`.
    package let scheme: String
    /// Host and optional port, as configured (`voice.example.com`, `localhost:8080`).
    package let authority: String

    package init(parsing text: String, variable: String) throws(ConfigurationError) {
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
            ["https", "http"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw ConfigurationError(variable: variable, problem: "must be an https:// URL, not \"\(text)\"")
        }
        guard url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil else {
            throw ConfigurationError(
                variable: variable,
                problem: "must be an origin only (scheme, host and optional port), not \"\(text)\""
            )
        }
        self.scheme = scheme
        self.authority = url.port.map { "\(host):\($0)" } ?? host
    }

    /// `https://host[:port]`.
    package var origin: String { "\(scheme)://\(authority)" }

    /// The WebSocket scheme that matches: `wss` for https, `ws` for http.
    package var webSocketScheme: String { scheme == "https" ? "wss" : "ws" }
}
