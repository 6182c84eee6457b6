/// Where a job is in its life. `completed` and `cancelled` are final.
package enum JobStatus: String, Sendable, CaseIterable, Codable {
    case pending
    case confirmed
    case scheduled
    case inProgress = "in_progress"
    case completed
    case cancelled
    /// Moved to a new slot; waits to be confirmed again.
    case rescheduled

    package var isFinal: Bool { self == .completed || self == .cancelled }

    /// Whether the job holds its crew and truck for its slot.
    package var holdsSlot: Bool { self != .cancelled }

    /// The statuses a job may move to from this one.
    package var allowedNext: Set<JobStatus> {
        switch self {
        case .pending: [.confirmed, .cancelled, .rescheduled]
        case .confirmed: [.scheduled, .cancelled, .rescheduled]
        case .scheduled: [.inProgress, .cancelled, .rescheduled]
        case .inProgress: [.completed]
        case .rescheduled: [.confirmed, .scheduled, .cancelled, .rescheduled]
        case .completed, .cancelled: []
        }
    }

    package var spoken: String {
        switch self {
        case .inProgress: "in progress"
        default: rawValue
        }
    }
}
