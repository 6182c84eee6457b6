import Foundation

/// A booked move.
package struct Job: Sendable, Equatable, Codable {
    /// Human-readable, e.g. `QM-7K3P9D`.
    package var id: String
    package var customerName: String
    /// E.164.
    package var phone: String
    package var email: String?
    package var pickupAddress: String
    package var dropoffAddress: String
    package var date: CalendarDate
    package var window: TimeWindow
    package var homeSize: HomeSize
    package var specialItems: String?
    package var estimatedHours: Int
    package var crewID: String
    package var truckID: String
    package var crewSize: Int
    /// US cents.
    package var priceEstimateCents: Int
    package var status: JobStatus
    package var notes: String?
    /// The call that made it, when a call did.
    package var callSid: String?
    package var createdAt: Date
    package var updatedAt: Date
    /// Who made the last change: `staff`, or the SID of the call that made it (``Requester/auditName``).
    package var updatedBy: String?

    package init(
        id: String,
        customerName: String,
        phone: String,
        email: String?,
        pickupAddress: String,
        dropoffAddress: String,
        date: CalendarDate,
        window: TimeWindow,
        homeSize: HomeSize,
        specialItems: String?,
        estimatedHours: Int,
        crewID: String,
        truckID: String,
        crewSize: Int,
        priceEstimateCents: Int,
        status: JobStatus,
        notes: String?,
        callSid: String?,
        createdAt: Date,
        updatedAt: Date,
        updatedBy: String? = nil
    ) {
        self.id = id
        self.customerName = customerName
        self.phone = phone
        self.email = email
        self.pickupAddress = pickupAddress
        self.dropoffAddress = dropoffAddress
        self.date = date
        self.window = window
        self.homeSize = homeSize
        self.specialItems = specialItems
        self.estimatedHours = estimatedHours
        self.crewID = crewID
        self.truckID = truckID
        self.crewSize = crewSize
        self.priceEstimateCents = priceEstimateCents
        self.status = status
        self.notes = notes
        self.callSid = callSid
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// Makes job ids: `QM-` and six characters from an alphabet without look-alikes (no 0/O, 1/I/L), easy to read
/// out over the phone. 31^6 ≈ 887 million ids; the store still refuses a duplicate.
package enum JobID {
    package static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")

    package static func make<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        "QM-" + String((0..<6).map { _ in alphabet.randomElement(using: &generator)! })
    }

    package static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(using: &generator)
    }

    /// Accepts what a caller might read out: lower case, spaces, dashes, a missing `QM` prefix.
    package static func normalized(_ text: String) -> String {
        let compact = text.uppercased().filter { $0.isLetter || $0.isNumber }
        let body = compact.hasPrefix("QM") ? String(compact.dropFirst(2)) : compact
        return "QM-" + body
    }
}
