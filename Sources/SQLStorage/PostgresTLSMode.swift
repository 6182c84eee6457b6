import Foundation
import NIOSSL
import PostgresKit

/// How a PostgreSQL connection uses TLS, read from the URL's `sslmode` the way libpq (and so `psql`) reads it, so
/// the `DATABASE_URL` a platform hands out works unchanged. Heroku's, for one, carries no `sslmode`, requires TLS
/// and presents a certificate no public authority signed: libpq's default `prefer` encrypts without verifying it,
/// where PostgresKit's own reading of the URL would verify it and fail.
///
/// | `sslmode` | TLS | certificate |
/// |---|---|---|
/// | `disable` | never | — |
/// | `allow`, `prefer` (default) | when the server offers it | not verified |
/// | `require` | always | not verified |
/// | `verify-ca` | always | signed by a trusted authority (`sslrootcert`, else the system's) |
/// | `verify-full` | always | as `verify-ca`, and issued for the host name |
package enum PostgresTLSMode: String, Sendable, CaseIterable {
    case disable
    case allow
    case prefer
    case require
    case verifyCA = "verify-ca"
    case verifyFull = "verify-full"

    /// The query items that name a mode: libpq's `sslmode`, and the aliases PostgresKit reads.
    static let parameterNames: Set<String> = ["sslmode", "tlsmode", "ssl", "tls"]

    /// The mode `url` names (`prefer` when it names none), the authority file its `sslrootcert` names, and the URL
    /// without either, for PostgresKit to read the rest.
    static func split(url: String) throws -> (mode: PostgresTLSMode, rootCertificate: String?, url: String) {
        guard var components = URLComponents(string: url) else { return (.prefer, nil, url) }
        let items = components.queryItems ?? []
        let named = items.last { parameterNames.contains($0.name.lowercased()) }?.value
        let mode = try named.map(Self.init(naming:)) ?? .prefer
        let rootCertificate = items.last { $0.name == "sslrootcert" }?.value
        let rest = items.filter { !parameterNames.contains($0.name.lowercased()) && $0.name != "sslrootcert" }
        components.queryItems = rest.isEmpty ? nil : rest
        return (mode, rootCertificate, components.string ?? url)
    }

    /// The mode a URL's `sslmode` value names; PostgresKit's spellings `true` and `false` are accepted too.
    init(naming value: String) throws {
        switch value.lowercased() {
        case "false": self = .disable
        case "true": self = .prefer
        default:
            guard let mode = Self(rawValue: value.lowercased()) else {
                let known = Self.allCases.map(\.rawValue).joined(separator: ", ")
                throw SQLStorageError(problem: "DATABASE_URL: sslmode=\(value) is not one of \(known)")
            }
            self = mode
        }
    }

    /// The connection's TLS setting for this mode.
    func tls(rootCertificate: String?) throws -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw SQLStorageError(problem: "DATABASE_URL: sslrootcert \(rootCertificate) cannot be read")
            }
            configuration.trustRoots = .file(rootCertificate)
        }
        switch self {
        case .disable:
            return .disable
        case .allow, .prefer:
            configuration.certificateVerification = .none
            return .prefer(try NIOSSLContext(configuration: configuration))
        case .require:
            configuration.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            return .require(try NIOSSLContext(configuration: configuration))
        }
    }
}
