import Booking

extension BookingService {
    /// A move booked for the caller +14155552671, on the first working day from the day after tomorrow.
    package func bookTestMove() async throws -> Job {
        var date = today.adding(days: 2)
        while policy.closedWeekdays.contains(date.weekday) { date = date.adding(days: 1) }
        return try await createBooking(
            BookingRequest(
                customerName: "Dana Whitfield",
                phone: "+14155552671",
                pickupAddress: "12 Grand St",
                dropoffAddress: "400 W 57th St",
                date: date.iso,
                window: .morning,
                homeSize: .oneBedroom
            )
        ).job
    }
}
