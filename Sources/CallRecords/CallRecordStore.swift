import Foundation

/// Where call records are kept: the voice server's database.
package protocol CallRecordStore: Sendable {
    /// Creates the record when the call comes in; a second call for the same SID changes nothing.
    func callStarted(callSid: String, caller: String?, at: Date) async throws
    /// Adds `event` to the call's record (creating the record if the call was not seen coming in).
    func append(_ event: CallEvent, callSid: String, at: Date) async throws
    func callRecord(callSid: String) async throws -> CallRecord?
}
