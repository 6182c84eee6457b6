import Booking
import MCP

/// The booking tools as MCP advertises them: JSON Schemas whose descriptions tell a voice assistant how to use them.
package enum BookingToolDefinitions {
    static let dateDescription =
        "The move date: YYYY-MM-DD, or what the caller said (\"tomorrow\", \"next Friday\", \"the 14th\", "
        + "\"December 3rd\"). The result states the resolved date with its weekday: read it back to the caller."
    static let homeSizes: Value = .array(HomeSize.allCases.map { .string($0.rawValue) })
    static let windows: Value = .array(TimeWindow.allCases.map { .string($0.rawValue) })

    package static let all: [Tool] = [
        Tool(
            name: "check_availability",
            description: """
                Check which time windows (morning 8-12, afternoon 1-5) are free on a date, and the price estimate for a \
                home size. Call this before offering a date. Refuses past dates, Sundays and dates too far ahead, \
                with a sentence you can say.
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "date": ["type": "string", "description": .string(dateDescription)],
                    "home_size": [
                        "type": "string", "enum": homeSizes,
                        "description": "Size of the home being moved; gives the price estimate.",
                    ],
                ],
                "required": ["date"],
            ],
            annotations: .init(readOnlyHint: true)
        ),
        Tool(
            name: "create_booking",
            description: """
                Book a move once the caller has confirmed the date, window, both addresses, home size, name and phone \
                number. Returns the job number to read back. A client that may retry passes an idempotency key \
                unique to this booking (in _meta.idempotencyKey, or the idempotency_key argument), so a retry never \
                books twice.
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "customer_name": ["type": "string", "description": "The caller's full name."],
                    "phone": [
                        "type": "string",
                        "description": .string(
                            "Contact number, E.164 (+14155552671). Leave it out to use the number the caller is "
                                + "calling from."
                        ),
                    ],
                    "email": ["type": "string", "description": "Optional email address."],
                    "pickup_address": [
                        "type": "string", "description": "Full address moving from, with apartment number.",
                    ],
                    "dropoff_address": ["type": "string", "description": "Full address moving to."],
                    "date": ["type": "string", "description": .string(dateDescription)],
                    "window": ["type": "string", "enum": windows, "description": "morning (8-12) or afternoon (1-5)."],
                    "home_size": ["type": "string", "enum": homeSizes],
                    "special_items": [
                        "type": "string", "description": "Piano, safe, artwork, anything heavy or fragile.",
                    ],
                    "notes": ["type": "string", "description": "Stairs, elevator, parking, access notes."],
                    "idempotency_key": [
                        "type": "string", "description": "The same key always returns the same booking.",
                    ],
                ],
                "required": ["customer_name", "pickup_address", "dropoff_address", "date", "window", "home_size"],
            ],
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: true)
        ),
        Tool(
            name: "send_confirmation",
            description: """
                Send the booking confirmation text message to the customer's phone. Sent once per booking: calling \
                again returns the same message unless resend is true (only when the caller asks for it again). \
                Another number only for a caller verified for this booking; texts are limited per booking and caller.
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "job_id": ["type": "string", "description": "The job number, e.g. QM-7K3P9D."],
                    "resend": ["type": "boolean", "description": "Send it again although it was already sent."],
                    "phone": [
                        "type": "string",
                        "description": "Another mobile number to send it to, E.164, when the caller gives one.",
                    ],
                ],
                "required": ["job_id"],
            ],
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: true)
        ),
        Tool(
            name: "update_job_status",
            description: """
                Change a booking: confirm, schedule, start, complete or cancel it, or reschedule it to another date and \
                window (give date and window). Confirm a cancellation with the caller first. Callers may confirm, \
                cancel or reschedule only their own bookings; if the result asks for a code, offer \
                send_verification_code.
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "job_id": ["type": "string", "description": "The job number, e.g. QM-7K3P9D."],
                    "action": [
                        "type": "string",
                        "enum": ["confirm", "schedule", "start", "complete", "cancel", "reschedule"],
                    ],
                    "date": ["type": "string", "description": .string("For reschedule. " + dateDescription)],
                    "window": ["type": "string", "enum": windows, "description": "For reschedule."],
                ],
                "required": ["job_id", "action"],
            ],
            annotations: .init(readOnlyHint: false, destructiveHint: true, idempotentHint: false)
        ),
        Tool(
            name: "get_job_details",
            description: """
                Look up a booking by its job number, or the bookings made with the number the caller is calling from \
                (give neither). A booking made with another number is not shared: offer send_verification_code.
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "job_id": ["type": "string", "description": "The job number, e.g. QM-7K3P9D."],
                    "phone": ["type": "string", "description": "Phone number the booking was made with, E.164."],
                ],
            ],
            annotations: .init(readOnlyHint: true)
        ),
        Tool(
            name: "send_verification_code",
            description: """
                Text a one-time 6-digit code to the phone number on a booking, so that a caller calling from another \
                number (or one the carrier could not vouch for) can prove they hold that phone. Only when a result \
                asked for it and the caller agrees. Then ask the caller to read the code back.
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "job_id": ["type": "string", "description": "The job number, e.g. QM-7K3P9D."]
                ],
                "required": ["job_id"],
            ],
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: false)
        ),
        Tool(
            name: "check_verification_code",
            description: """
                Check the 6-digit code the caller read back for a booking. When it matches, the caller may hear, \
                change and cancel that booking for the rest of the call. Three tries per code; a code lasts 10 minutes.
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "job_id": ["type": "string", "description": "The job number, e.g. QM-7K3P9D."],
                    "code": ["type": "string", "description": "The six digits the caller read back."],
                ],
                "required": ["job_id", "code"],
            ],
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: false)
        ),
        Tool(
            name: finishCall,
            description: """
                For the voice server, not the assistant: the call in _meta.callSid has ended. Queues the confirmation                 of every booking the call made that has none (its answer may have been lost to a hang-up or a                 deadline), and returns the jobs the call booked.
                """,
            inputSchema: ["type": "object", "properties": [:]],
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: true)
        ),
    ]

    /// The tool the voice server calls when a call ends; never offered to the assistant.
    package static let finishCall = "finish_call"
}
