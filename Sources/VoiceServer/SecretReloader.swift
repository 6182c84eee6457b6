import Logging
import ServerConfiguration
import ServiceLifecycle
import UnixSignals

/// Re-reads the configuration on `SIGHUP` and, if it is valid, swaps in its credentials (``SecretStore``): the
/// operator rotates `OPENAI_API_KEY`, the Twilio tokens, `ADMIN_TOKEN` or `MCP_SERVER_TOKEN` by changing the secret
/// file (or `.env`) and sending `SIGHUP`, without dropping a call. A configuration that no longer starts (a missing
/// file, a production server left without its token) is refused, and the credentials in use stay.
struct SecretReloader: Service {
    let secrets: SecretStore
    let reload: @Sendable () async throws -> VoiceServerConfiguration
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        logger.debug("Listening for SIGHUP: it reloads the configuration's credentials")
        for await _ in signals.cancelOnGracefulShutdown() {
            await reloadNow()
        }
    }

    /// Reads the configuration again and takes its credentials; `false` (logged, nothing changed) if it is not valid.
    @discardableResult
    func reloadNow() async -> Bool {
        do {
            let configuration = try await reload()
            let changed = secrets.replace(with: configuration.secrets)
            logger.notice(
                "Configuration reloaded",
                metadata: ["changed": "\(changed.isEmpty ? "nothing" : changed.joined(separator: ","))"]
            )
            return true
        } catch {
            logger.error("Configuration not reloaded: the credentials in use stay", metadata: ["reason": "\(error)"])
            return false
        }
    }
}
