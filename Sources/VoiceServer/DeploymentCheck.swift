import AsyncDeadline
import BookingServer
import CallBridge
import Foundation
import Logging
import MCPClient
import SQLKit
import SQLStorage
import ServerConfiguration

/// `voice-server check`: what a deployment has and lacks, one line each, checked the way the server would use it —
/// the configuration as start-up reads it, the database reached, the booking MCP server reached.
package struct DeploymentCheck: Sendable {
    package struct Line: Sendable, Equatable {
        /// What is checked, such as `OPENAI_API_KEY`.
        package var subject: String
        package var state: State
        package var detail: String
    }

    package enum State: String, Sendable, Equatable {
        /// Ready.
        case ok
        /// Works, but something is off or switched off.
        case warning
        /// A call could not be served.
        case failing
    }

    package var lines: [Line]

    /// Whether a call could be served: nothing is failing.
    package var canServeCalls: Bool { !lines.contains { $0.state == .failing } }

    /// Checks `configuration` (already validated as start-up does); opens the database and reaches the booking MCP
    /// server, each within `timeout`.
    package static func run(
        _ configuration: VoiceServerConfiguration,
        timeout: Duration = .seconds(5),
        logger: Logger
    ) async -> DeploymentCheck {
        var lines: [Line] = []
        lines.append(
            configuration.openAIAPIKey == nil
                ? Line(subject: "OPENAI_API_KEY", state: .failing, detail: "missing: calls cannot reach the assistant")
                : Line(subject: "OPENAI_API_KEY", state: .ok, detail: "present")
        )
        let twilio = configuration.booking.twilio
        let twilioLine: Line =
            switch (twilio.accountSID, twilio.authToken) {
            case (.some, .some):
                Line(subject: "Twilio credentials", state: .ok, detail: "account and auth token present")
            case (_, nil):
                Line(
                    subject: "Twilio credentials",
                    state: .failing,
                    detail: "TWILIO_AUTH_TOKEN missing: Twilio's signatures cannot be checked"
                )
            case (nil, .some):
                Line(
                    subject: "Twilio credentials",
                    state: .warning,
                    detail: "TWILIO_ACCOUNT_SID missing: no hang-ups, transfers or texts through Twilio's API"
                )
            }
        lines.append(twilioLine)
        lines.append(publicURLLine(configuration.booking.publicBaseURL))
        lines.append(await databaseLine(configuration.booking.database, timeout: timeout, logger: logger))
        if let url = configuration.mcpServerURL {
            let token = configuration.booking.mcpServerToken?.value
            lines.append(await bookingServerLine(url, token: token, timeout: timeout))
        } else {
            lines.append(Line(subject: "Booking system", state: .ok, detail: "embedded, in the database above"))
        }
        lines.append(
            configuration.mcpServerURL != nil
                ? Line(subject: "SMS", state: .ok, detail: "sent by the booking server at MCP_SERVER_URL")
                : twilio.canSendTexts
                    ? Line(subject: "SMS", state: .ok, detail: "on, from \(twilio.phoneNumber ?? "")")
                    : Line(
                        subject: "SMS",
                        state: .warning,
                        detail:
                            "off: TWILIO_PHONE_NUMBER (with the account and token) is not set; confirmations stay in the outbox"
                    )
        )
        return DeploymentCheck(lines: lines)
    }

    private static func publicURLLine(_ url: PublicBaseURL?) -> Line {
        guard let url else {
            return Line(
                subject: "PUBLIC_BASE_URL",
                state: .warning,
                detail: "not set: URLs are rebuilt from the Host and X-Forwarded-* headers of each request"
            )
        }
        guard url.scheme == "https" else {
            return Line(
                subject: "PUBLIC_BASE_URL",
                state: .failing,
                detail: "\(url.origin) is not https: Twilio opens media streams only over wss://"
            )
        }
        return Line(subject: "PUBLIC_BASE_URL", state: .ok, detail: url.origin)
    }

    private static func databaseLine(_ location: DatabaseLocation, timeout: Duration, logger: Logger) async -> Line {
        let subject = "DATABASE_URL (\(location.kind))"
        let reached = await Deadline.run(timeout) { () async throws -> [String] in
            let storage = try await SQLStorage.open(location, logger: logger)
            defer { Task { await storage.close() } }
            var versions: [String] = []
            for table in ["schema_migrations", "call_record_migrations"] {
                let row = try? await storage.database.raw("SELECT MAX(version) AS version FROM \(ident: table)")
                    .first()
                versions.append(
                    (try? row?.decode(column: "version", as: Int?.self)).flatMap { $0 }.map(String.init) ?? "none"
                )
            }
            return versions
        }
        switch reached {
        case .success(let versions)?:
            let migrated = !versions.contains("none")
            return Line(
                subject: subject,
                state: .ok,
                detail: migrated
                    ? "reachable; migrated (booking version \(versions[0]), call records version \(versions[1]))"
                    : "reachable; not migrated yet (`serve` migrates at start)"
            )
        case .failure(let error)?:
            return Line(subject: subject, state: .failing, detail: "unreachable: \(error)")
        case nil:
            return Line(subject: subject, state: .failing, detail: "unreachable: no answer within \(timeout)")
        }
    }

    private static func bookingServerLine(_ url: URL, token: String?, timeout: Duration) async -> Line {
        let gateway = MCPToolGateway.remote(url: url, token: { token }, logger: Logger(label: "check"))
        let reached = await Deadline.run(timeout) { try await gateway.reachableTools() }
        await gateway.close()
        switch reached {
        case .success(let count)?:
            return Line(subject: "MCP_SERVER_URL", state: .ok, detail: "reachable; \(count) tools")
        case .failure(let error)?:
            return Line(subject: "MCP_SERVER_URL", state: .failing, detail: "unreachable: \(error)")
        case nil:
            return Line(subject: "MCP_SERVER_URL", state: .failing, detail: "unreachable: no answer within \(timeout)")
        }
    }
}
