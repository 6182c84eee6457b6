import NIOCore
import ServerConfiguration

extension SocketAddress {
    /// Whether the peer is this machine: `127.0.0.0/8`, `::1`, an IPv4-mapped loopback address, or a Unix socket.
    package var isLoopback: Bool {
        switch self {
        case .unixDomainSocket: return true
        case .v4, .v6:
            guard var address = ipAddress?.lowercased() else { return false }
            if address.hasPrefix("::ffff:") { address.removeFirst("::ffff:".count) }
            return ServerConfiguration.isLoopback(host: address)
        }
    }
}
