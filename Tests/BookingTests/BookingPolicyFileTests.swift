import Foundation
import Testing

@testable import Booking

@Suite struct BookingPolicyFileTests {
    func write(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID()).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func overridesOnlyWhatItNames() throws {
        let path = try write(
            """
            {"horizon_days": 60, "closed_weekdays": ["Sunday", "saturday"],
             "crews": [{"id": "a", "name": "Alpha", "size": 4}],
             "trucks": [{"id": "t", "name": "Big", "size": "large"}],
             "hourly_rate_per_mover_usd": 60, "truck_fee_usd": {"large": 250}, "hours_by_home_size": {"studio": 2}}
            """
        )
        let policy = try BookingPolicyFile.load(path: path).applied(to: .standard())
        #expect(policy.horizonDays == 60)
        #expect(policy.closedWeekdays == [.sunday, .saturday])
        #expect(policy.crews.map(\.id) == ["a"])
        #expect(policy.pricing.hourlyRatePerMoverCents == 6_000)
        #expect(policy.pricing.truckFeeCents[.large] == 25_000)
        #expect(policy.pricing.truckFeeCents[.small] == 9_900)
        #expect(policy.estimate(for: .studio).totalCents == 6_000 * 2 * 2 + 9_900)
    }

    @Test func theTimeRulesAreRead() throws {
        let path = try write(#"{"window_hours": 5, "overtime_hours": 0, "lead_time_hours": 24}"#)
        let policy = try BookingPolicyFile.load(path: path).applied(to: .standard())
        #expect(policy.windowHours == 5)
        #expect(policy.leadTimeHours == 24)
        // 10 hours fill two 5-hour windows exactly; 6 cannot start in the afternoon without overtime.
        #expect(policy.windowsHeld(startingIn: .morning, hours: 10) == [.morning, .afternoon])
        #expect(policy.windowsHeld(startingIn: .afternoon, hours: 6) == nil)
        #expect(policy.windowsHeld(startingIn: .afternoon, hours: 5) == [.afternoon])
    }

    @Test(arguments: [
        (#"{"horizon_days": 0}"#, "horizon_days"),
        (#"{"closed_weekdays": ["funday"]}"#, "funday"),
        (#"{"crews": []}"#, "crews"),
        (#"{"truck_fee_usd": {"huge": 1}}"#, "huge"),
        (#"{"hours_by_home_size": {"castle": 3}}"#, "castle"),
        (#"{"crews": [{"id": "a", "name": "Small", "size": 1}]}"#, "big enough"),
        (#"{"horizon_days": "soon"}"#, "horizon_days"),
        (#"{"window_hours": 0}"#, "window_hours"),
        (#"{"overtime_hours": 9}"#, "overtime_hours"),
        (#"{"lead_time_hours": -1}"#, "lead_time_hours"),
        // A 4+ bedroom move (10 hours) no longer fits a day of two 3-hour windows and 2 hours over.
        (#"{"window_hours": 3}"#, "more than a day's windows"),
        ("not json", "not a valid policy"),
    ])
    func aBadFileNamesTheProblem(json: String, expected: String) throws {
        let path = try write(json)
        #expect {
            try BookingPolicyFile.load(path: path).applied(to: .standard())
        } throws: { error in
            "\(error)".contains(expected)
        }
    }
}
