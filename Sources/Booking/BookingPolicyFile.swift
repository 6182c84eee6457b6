import Foundation

/// `BOOKING_POLICY_FILE`: a JSON file that changes any part of the standard policy. Every field is optional;
/// what is left out keeps its default.
///
/// ```json
/// {"horizon_days": 90, "closed_weekdays": ["sunday", "saturday"],
///  "crews": [{"id": "crew-1", "name": "Alpha", "size": 3}],
///  "trucks": [{"id": "truck-1", "name": "26 ft truck", "size": "large"}],
///  "hourly_rate_per_mover_usd": 60, "truck_fee_usd": {"small": 99, "medium": 149, "large": 199},
///  "hours_by_home_size": {"studio": 3}, "movers_by_home_size": {"studio": 2}, "truck_by_home_size": {"studio": "small"},
///  "texts_per_job_per_day": 3, "texts_per_caller_per_hour": 5}
/// ```
package struct BookingPolicyFile: Decodable, Sendable {
    var horizonDays: Int?
    var closedWeekdays: [String]?
    var crews: [Crew]?
    var trucks: [Truck]?
    var hourlyRatePerMoverUSD: Double?
    var truckFeeUSD: [String: Double]?
    var hoursByHomeSize: [String: Int]?
    var moversByHomeSize: [String: Int]?
    var truckByHomeSize: [String: String]?
    var textsPerJobPerDay: Int?
    var textsPerCallerPerHour: Int?
    var windowHours: Int?
    var overtimeHours: Int?
    var leadTimeHours: Int?

    private enum CodingKeys: String, CodingKey {
        case horizonDays = "horizon_days", closedWeekdays = "closed_weekdays", crews, trucks
        case hourlyRatePerMoverUSD = "hourly_rate_per_mover_usd", truckFeeUSD = "truck_fee_usd"
        case hoursByHomeSize = "hours_by_home_size", moversByHomeSize = "movers_by_home_size"
        case truckByHomeSize = "truck_by_home_size"
        case textsPerJobPerDay = "texts_per_job_per_day", textsPerCallerPerHour = "texts_per_caller_per_hour"
        case windowHours = "window_hours", overtimeHours = "overtime_hours", leadTimeHours = "lead_time_hours"
    }

    /// Why a policy file cannot be used, naming the field.
    package struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        package var description: String
    }

    package static func load(path: String) throws -> BookingPolicyFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Problem(description: "cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(BookingPolicyFile.self, from: data)
        } catch let error as DecodingError {
            throw Problem(description: "\(path) is not a valid policy: \(Self.describe(error))")
        }
    }

    /// `base` with this file's values applied; every value is checked.
    package func applied(to base: BookingPolicy) throws -> BookingPolicy {
        var policy = base
        if let horizonDays {
            guard (1...730).contains(horizonDays) else { throw Problem(description: "horizon_days must be 1 to 730") }
            policy.horizonDays = horizonDays
        }
        if let closedWeekdays {
            policy.closedWeekdays = Set(
                try closedWeekdays.map { name in
                    guard let day = Weekday.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                        throw Problem(description: "closed_weekdays: \(name) is not a weekday")
                    }
                    return day
                }
            )
        }
        if let crews {
            guard !crews.isEmpty, Set(crews.map(\.id)).count == crews.count, crews.allSatisfy({ $0.size > 0 }) else {
                throw Problem(description: "crews must be a non-empty list with unique ids and sizes above 0")
            }
            policy.crews = crews
        }
        if let trucks {
            guard !trucks.isEmpty, Set(trucks.map(\.id)).count == trucks.count else {
                throw Problem(description: "trucks must be a non-empty list with unique ids")
            }
            policy.trucks = trucks
        }
        if let hourlyRatePerMoverUSD {
            guard hourlyRatePerMoverUSD > 0 else {
                throw Problem(description: "hourly_rate_per_mover_usd must be above 0")
            }
            policy.pricing.hourlyRatePerMoverCents = Int((hourlyRatePerMoverUSD * 100).rounded())
        }
        for (name, fee) in truckFeeUSD ?? [:] {
            guard let size = TruckSize(rawValue: name), fee >= 0 else {
                throw Problem(
                    description: "truck_fee_usd: \(name) is not small, medium or large, or the fee is negative"
                )
            }
            policy.pricing.truckFeeCents[size] = Int((fee * 100).rounded())
        }
        for (name, hours) in hoursByHomeSize ?? [:] {
            policy.pricing.hoursByHomeSize[try homeSize(name, field: "hours_by_home_size")] = try positive(
                hours,
                "hours_by_home_size"
            )
        }
        for (name, movers) in moversByHomeSize ?? [:] {
            policy.pricing.moversByHomeSize[try homeSize(name, field: "movers_by_home_size")] = try positive(
                movers,
                "movers_by_home_size"
            )
        }
        for (name, truck) in truckByHomeSize ?? [:] {
            guard let size = TruckSize(rawValue: truck) else {
                throw Problem(description: "truck_by_home_size: \(truck) is not small, medium or large")
            }
            policy.pricing.truckByHomeSize[try homeSize(name, field: "truck_by_home_size")] = size
        }
        if let textsPerJobPerDay {
            policy.texts.perJobPerDay = try positive(textsPerJobPerDay, "texts_per_job_per_day")
        }
        if let textsPerCallerPerHour {
            policy.texts.perCallerPerHour = try positive(textsPerCallerPerHour, "texts_per_caller_per_hour")
        }
        if let windowHours {
            guard (1...12).contains(windowHours) else { throw Problem(description: "window_hours must be 1 to 12") }
            policy.windowHours = windowHours
        }
        if let overtimeHours {
            guard (0...8).contains(overtimeHours) else { throw Problem(description: "overtime_hours must be 0 to 8") }
            policy.overtimeHours = overtimeHours
        }
        if let leadTimeHours {
            guard (0...168).contains(leadTimeHours) else {
                throw Problem(description: "lead_time_hours must be 0 to 168")
            }
            policy.leadTimeHours = leadTimeHours
        }
        for homeSize in HomeSize.allCases {
            guard
                policy.windows.contains(where: {
                    policy.windowsHeld(startingIn: $0, hours: policy.estimate(for: homeSize).hours) != nil
                })
            else {
                throw Problem(
                    description: "\(homeSize.spoken) takes \(policy.estimate(for: homeSize).hours) hours, more than a "
                        + "day's windows and overtime_hours allow"
                )
            }
            let candidates = policy.candidates(for: homeSize)
            guard !candidates.crews.isEmpty, !candidates.trucks.isEmpty else {
                throw Problem(description: "no crew or truck is big enough for \(homeSize.spoken)")
            }
        }
        return policy
    }

    private func homeSize(_ name: String, field: String) throws -> HomeSize {
        guard let size = HomeSize(rawValue: name) else {
            let names = HomeSize.allCases.map(\.rawValue).joined(separator: ", ")
            throw Problem(description: "\(field): \(name) is not one of \(names)")
        }
        return size
    }

    private func positive(_ value: Int, _ field: String) throws -> Int {
        guard value > 0 else { throw Problem(description: "\(field) values must be above 0") }
        return value
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not JSON" : "wrong value at \(path)"
        case .keyNotFound(let key, _):
            return "missing \(key.stringValue)"
        @unknown default:
            return "unreadable"
        }
    }
}
