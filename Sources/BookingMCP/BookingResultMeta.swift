/// The `_meta` fields of a booking tool's result that say, as data, what the call did: a client learns from them,
/// not from the tool's name or its text, that a move was booked (issue 12).
package enum BookingResultMeta {
    /// On a `create_booking` result: the number of the job booked (new, or found again by its idempotency key).
    package static let bookedJobID = "bookedJobId"
}
