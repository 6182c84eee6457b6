import Crypto
import Foundation

/// A one-time code texted to a job's phone so that a caller can prove they hold it: 6 digits, valid
/// ``lifetime``, ``maximumTries`` tries, kept only as a salted SHA-256 hash.
package struct CallerVerification: Sendable, Equatable {
    package var id: String
    package var jobID: String
    /// The call the code was sent for; it verifies that call only.
    package var callSid: String
    /// Hex SHA-256 of ``salt`` and the code.
    package var codeHash: String
    package var salt: String
    package var createdAt: Date
    package var expiresAt: Date
    /// Wrong codes read back so far.
    package var attempts: Int
    /// When the right code was read back.
    package var verifiedAt: Date?
    /// Who asked for it, for the hourly text allowance (``Caller/textAllowanceKey``).
    package var requestedBy: String

    package static let lifetime: TimeInterval = 10 * 60
    package static let maximumTries = 3

    package init(
        id: String,
        jobID: String,
        callSid: String,
        codeHash: String,
        salt: String,
        createdAt: Date,
        expiresAt: Date,
        attempts: Int = 0,
        verifiedAt: Date? = nil,
        requestedBy: String
    ) {
        self.id = id
        self.jobID = jobID
        self.callSid = callSid
        self.codeHash = codeHash
        self.salt = salt
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.verifiedAt = verifiedAt
        self.requestedBy = requestedBy
    }

    /// A new code for `jobID` on `callSid`, and the record that keeps its hash.
    package static func issue(
        jobID: String,
        callSid: String,
        requestedBy: String,
        at now: Date
    ) -> (code: String, record: CallerVerification) {
        var generator = SystemRandomNumberGenerator()
        let code = String(format: "%06d", Int.random(in: 0...999_999, using: &generator))
        let salt = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }
            .joined()
        let record = CallerVerification(
            id: UUID().uuidString.lowercased(),
            jobID: jobID,
            callSid: callSid,
            codeHash: hash(code, salt: salt),
            salt: salt,
            createdAt: now,
            expiresAt: now.addingTimeInterval(lifetime),
            requestedBy: requestedBy
        )
        return (code, record)
    }

    /// Whether `spoken` (what the caller read back; spaces and dashes allowed) is this record's code.
    package func matches(_ spoken: String) -> Bool {
        let digits = spoken.filter(\.isNumber)
        guard digits.count == 6 else { return false }
        return Self.hash(digits, salt: salt) == codeHash
    }

    static func hash(_ code: String, salt: String) -> String {
        SHA256.hash(data: Data((salt + ":" + code).utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
