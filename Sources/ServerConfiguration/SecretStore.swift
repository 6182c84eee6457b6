import Synchronization

/// The server's credentials as last read: at start-up, then at each reload (`SIGHUP`). Their users read them at
/// each use, so a call in progress keeps the session it opened, and the next call uses the new key.
package final class SecretStore: Sendable {
    private let secrets: Mutex<[ConfigurationVariable: Secret]>

    package init(_ secrets: [ConfigurationVariable: Secret] = [:]) {
        self.secrets = Mutex(secrets)
    }

    package subscript(variable: ConfigurationVariable) -> Secret? {
        secrets.withLock { $0[variable] }
    }

    /// Every secret at one moment (for values that go together, such as both Twilio tokens).
    package var snapshot: [ConfigurationVariable: Secret] {
        secrets.withLock { $0 }
    }

    /// Replaces them all; returns the names of those that changed, sorted (never their values).
    @discardableResult
    package func replace(with new: [ConfigurationVariable: Secret]) -> [String] {
        secrets.withLock { current in
            let changed = Set(current.keys).union(new.keys).filter { current[$0] != new[$0] }
            current = new
            return changed.map(\.name).sorted()
        }
    }
}
