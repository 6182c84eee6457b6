import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Asks a server on this machine its readiness (`GET /health/ready`): `true` ready, `false` draining, `nil` no answer.
package enum ReadinessProbe {
    package static func isReady(port: Int, timeout: Duration) async -> Bool? {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/ready")
        guard
            let response = try? await HTTPClient.shared.execute(
                request,
                timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
            )
        else { return nil }
        return response.status.code == 200
    }
}
