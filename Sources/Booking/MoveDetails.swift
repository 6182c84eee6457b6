/// The two halves of a moving day.
package enum TimeWindow: String, Sendable, CaseIterable, Codable, Comparable {
    case morning
    case afternoon

    /// "morning, 8 AM to 12 PM".
    package var spoken: String {
        switch self {
        case .morning: "morning, 8 AM to 12 PM"
        case .afternoon: "afternoon, 1 PM to 5 PM"
        }
    }

    /// The hour (24-hour clock) the window starts.
    package var startHour: Int {
        switch self {
        case .morning: 8
        case .afternoon: 13
        }
    }

    package static func < (lhs: TimeWindow, rhs: TimeWindow) -> Bool {
        lhs == .morning && rhs == .afternoon
    }
}

/// A window on a date.
package struct DateWindow: Sendable, Equatable {
    package var date: CalendarDate
    package var window: TimeWindow

    package init(date: CalendarDate, window: TimeWindow) {
        self.date = date
        self.window = window
    }
}

/// How big the home being moved is; it sets the crew, the truck and the hours.
package enum HomeSize: String, Sendable, CaseIterable, Codable {
    case studio
    case oneBedroom = "1_bedroom"
    case twoBedroom = "2_bedroom"
    case threeBedroom = "3_bedroom"
    case fourPlusBedroom = "4_plus_bedroom"

    package var spoken: String {
        switch self {
        case .studio: "a studio"
        case .oneBedroom: "a one-bedroom home"
        case .twoBedroom: "a two-bedroom home"
        case .threeBedroom: "a three-bedroom home"
        case .fourPlusBedroom: "a home with four or more bedrooms"
        }
    }

    /// Reads what a caller or model might send: `2_bedroom`, `2 bedroom`, `two bedrooms`, `2br`, `studio`.
    package init?(loose text: String) {
        let lowered = text.lowercased()
        if let exact = HomeSize(rawValue: lowered) {
            self = exact
            return
        }
        if lowered.contains("studio") {
            self = .studio
            return
        }
        let words = ["one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6]
        let number =
            lowered.first(where: \.isNumber).flatMap { Int(String($0)) }
            ?? words.first(where: { lowered.contains($0.key) })?.value
        guard let number, lowered.contains("b") else { return nil }
        switch number {
        case 1: self = .oneBedroom
        case 2: self = .twoBedroom
        case 3: self = .threeBedroom
        default: self = .fourPlusBedroom
        }
    }
}

/// Truck sizes, smallest first.
package enum TruckSize: String, Sendable, CaseIterable, Codable, Comparable {
    case small
    case medium
    case large

    package static func < (lhs: TruckSize, rhs: TruckSize) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

package struct Crew: Sendable, Equatable, Codable {
    package var id: String
    package var name: String
    /// Movers in the crew.
    package var size: Int

    package init(id: String, name: String, size: Int) {
        self.id = id
        self.name = name
        self.size = size
    }
}

package struct Truck: Sendable, Equatable, Codable {
    package var id: String
    package var name: String
    package var size: TruckSize

    package init(id: String, name: String, size: TruckSize) {
        self.id = id
        self.name = name
        self.size = size
    }
}
