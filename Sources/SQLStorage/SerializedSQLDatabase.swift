import Logging
import NIOCore
import SQLKit

/// The SQLite connection as every task sees it: one statement at a time, in the order asked, through a lock that a
/// transaction holds from `BEGIN` to `COMMIT`. SQLite has one connection here (one writer at a time anyway), so
/// without the lock another task's statement would run inside a transaction, and be rolled back with it.
struct SerializedSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let lock: AsyncLock

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(
        sql query: any SQLExpression,
        _ onRow: @escaping @Sendable (any SQLRow) -> Void
    ) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await lock.withLock { try await base.execute(sql: query, onRow) }
    }

    /// Runs `body` holding the lock, with the connection itself: a transaction's statements, and no one else's.
    func exclusively<Value: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> Value
    ) async throws -> Value {
        try await lock.withLock { try await body(base) }
    }
}
