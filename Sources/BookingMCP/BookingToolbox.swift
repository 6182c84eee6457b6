import AsyncDeadline
import Booking
import Foundation
import Logging
import MCP

/// Runs the booking tools: reads MCP arguments, calls the ``BookingService``, and answers with structured content
/// (plus the same JSON as text, for clients that only read text). A refusal is a tool error (`isError`) whose text
/// is a sentence the assistant can say.
package struct BookingToolbox: Sendable {
    package let service: BookingService
    let logger: Logger

    package init(service: BookingService, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    package var tools: [Tool] { BookingToolDefinitions.all }

    /// Runs a tool call to its end even if whoever asked stops waiting (a deadline, a hang-up): a booking half made
    /// is worse than one made late, which the call's retry or its end then finds.
    package func call(_ parameters: CallTool.Parameters) async -> CallTool.Result {
        await Task { await self.run(parameters) }.value
    }

    private func run(_ parameters: CallTool.Parameters) async -> CallTool.Result {
        let arguments = Arguments(values: parameters.arguments ?? [:])
        do {
            let result: Value
            var meta: [String: Value] = [:]
            let requester = Self.requester(parameters._meta)
            switch parameters.name {
            case "check_availability": result = try await checkAvailability(arguments)
            case "create_booking":
                let job: Job
                (job, result) = try await createBooking(arguments, meta: parameters._meta)
                meta[BookingResultMeta.bookedJobID] = .string(job.id)
            case "send_confirmation": result = try await sendConfirmation(arguments, for: requester)
            case "update_job_status": result = try await updateJobStatus(arguments, by: requester)
            case "get_job_details": result = try await jobDetails(arguments, for: requester)
            case "send_verification_code": result = try await sendVerificationCode(arguments, for: requester)
            case "check_verification_code": result = try await checkVerificationCode(arguments, for: requester)
            case BookingToolDefinitions.finishCall: result = try await finishCall(for: requester)
            default:
                throw BookingError.invalidArgument(field: "tool", reason: "there is no tool called \(parameters.name)")
            }
            return CallTool.Result(
                content: [.text(text: Self.json(result), annotations: nil, _meta: nil)],
                structuredContent: result as Value?,
                _meta: meta.isEmpty ? nil : Metadata(additionalFields: meta)
            )
        } catch let error as BookingError {
            if case .storageFailure(let detail) = error {
                logger.error("Booking store failed", metadata: ["tool": "\(parameters.name)", "reason": "\(detail)"])
            }
            return Self.refusal(error.speakableMessage)
        } catch {
            logger.error("Booking tool failed", metadata: ["tool": "\(parameters.name)", "reason": "\(error)"])
            return Self.refusal(BookingError.storageFailure("\(error)").speakableMessage)
        }
    }

    // MARK: Tools

    private func checkAvailability(_ arguments: Arguments) async throws -> Value {
        let homeSize = try arguments.homeSize("home_size", required: false)
        let availability = try await service.availability(dateText: try arguments.text("date"), homeSize: homeSize)
        let free = availability.windows.filter(\.available).map(\.window)
        var say = "\(availability.date.spoken): "
        say +=
            free.isEmpty
            ? "nothing can be booked." : "the " + free.map(\.spoken).joined(separator: " and the ") + " are free."
        for window in availability.windows {
            switch window.unavailable {
            case .tooSoon?: say += " The \(window.window.rawValue) is too soon to book."
            case .tooLong?: say += " A move that size is too long to start in the \(window.window.rawValue)."
            case .taken?, nil: break
            }
        }
        if free.isEmpty, let homeSize, let next = try await service.firstBookableWindow(for: homeSize) {
            say += " The first time we can book is the \(next.window.spoken) on \(next.date.spoken)."
        }
        var result: [String: Value] = [
            "date": .string(availability.date.iso),
            "weekday": .string(availability.date.weekday.name),
            "spoken_date": .string(availability.date.spoken),
            "windows": .array(
                availability.windows.map {
                    [
                        "window": .string($0.window.rawValue), "label": .string($0.window.spoken),
                        "available": .bool($0.available),
                        "unavailable_because": $0.unavailable.map { .string($0.rawValue) } ?? .null,
                        "holds_windows": .array($0.holds.map { .string($0.rawValue) }),
                    ]
                }
            ),
            "say": .string(say),
        ]
        if let estimate = availability.estimate {
            result["estimate"] = Self.estimate(estimate)
        }
        return .object(result)
    }

    private func createBooking(_ arguments: Arguments, meta: Metadata?) async throws -> (Job, Value) {
        guard let window = TimeWindow(rawValue: try arguments.text("window").lowercased()) else {
            throw BookingError.invalidArgument(field: "window", reason: "say morning or afternoon")
        }
        // The client's key (the voice server sends call SID and function call id in `_meta`) comes first: a key a
        // model made up, such as "booking-1", could repeat across callers and hand one caller another's job.
        let key =
            meta?["idempotencyKey"]?.stringValue ?? meta?["idempotency_key"]?.stringValue
            ?? arguments.optionalText("idempotency_key")
        let request = BookingService.BookingRequest(
            customerName: try arguments.text("customer_name"),
            phone: try arguments.optionalText("phone") ?? Self.callerNumber(meta) ?? arguments.text("phone"),
            email: arguments.optionalText("email"),
            pickupAddress: try arguments.text("pickup_address"),
            dropoffAddress: try arguments.text("dropoff_address"),
            date: try arguments.text("date"),
            window: window,
            homeSize: try arguments.homeSize("home_size", required: true)!,
            specialItems: arguments.optionalText("special_items"),
            notes: arguments.optionalText("notes"),
            idempotencyKey: key,
            callSid: meta?["callSid"]?.stringValue
        )
        let (job, created) = try await service.createBooking(request)
        var result = Self.summary(of: job)
        result["created"] = .bool(created)
        result["say"] = .string(
            "Booked: job \(job.id), \(job.date.spoken), \(job.window.spoken). The estimate is \(PriceEstimate.dollars(job.priceEstimateCents))."
        )
        return (job, .object(result))
    }

    private func sendConfirmation(_ arguments: Arguments, for requester: Requester) async throws -> Value {
        var (message, created) = try await service.confirmation(
            jobID: try arguments.text("job_id"),
            resend: arguments.flag("resend"),
            phone: arguments.optionalText("phone"),
            for: requester
        )
        let digits = String(message.recipient.suffix(4))
        var say =
            created
            ? "The confirmation text is on its way to the number ending \(digits)."
            : "The confirmation was already sent to the number ending \(digits)."
        if created, let delivery = service.delivery {
            // Sent now, so that a number that cannot take texts is known while the caller is still on the line.
            switch await Self.deliver(message.id, through: delivery, waitingAtMost: Self.deliveryWait) {
            case .accepted, .unchanged:
                break
            case .willRetry, nil:
                say = "The confirmation text will go out to the number ending \(digits) in a moment."
            case .disabled:
                say = "Texts are switched off here: the confirmation is saved but not sent. Read the details instead."
            case .refused(let refusal, _):
                throw BookingError.textRefused(refusal, lastDigits: digits)
            }
            message = try await service.store.outboxMessage(id: message.id) ?? message
        }
        return [
            "job_id": .string(message.jobID),
            "message_id": .string(message.id),
            "sequence": .int(message.sequence),
            "to_last_digits": .string(digits),
            "text": .string(message.body),
            "status": .string(message.status),
            "already_sent": .bool(!created),
            "say": .string(say),
        ]
    }

    /// How long `send_confirmation` waits for Twilio before it answers that the text is on its way.
    static let deliveryWait = Duration.seconds(4)

    /// The delivery's outcome, or `nil` if it takes longer than `wait`; it goes on regardless, in its own task, so
    /// the message is never left half sent because the caller's tool call ended.
    private static func deliver(
        _ messageID: String,
        through delivery: any MessageDelivery,
        waitingAtMost wait: Duration
    ) async -> DeliveryOutcome? {
        // The wait ends at the deadline; the sending goes on, and the outbox keeps what becomes of it.
        try? await Deadline.run(wait, overrun: .letRun) { await delivery.deliver(messageID: messageID) }?.get()
    }

    private func updateJobStatus(_ arguments: Arguments, by requester: Requester) async throws -> Value {
        let jobID = try arguments.text("job_id")
        let action = try arguments.text("action").lowercased()
        let job: Job
        switch action {
        case "reschedule":
            guard let window = TimeWindow(rawValue: try arguments.text("window").lowercased()) else {
                throw BookingError.invalidArgument(field: "window", reason: "say morning or afternoon")
            }
            job = try await service.reschedule(
                jobID: jobID,
                dateText: try arguments.text("date"),
                window: window,
                by: requester
            )
        case "confirm": job = try await service.updateStatus(jobID: jobID, to: .confirmed, by: requester)
        case "schedule": job = try await service.updateStatus(jobID: jobID, to: .scheduled, by: requester)
        case "start": job = try await service.updateStatus(jobID: jobID, to: .inProgress, by: requester)
        case "complete": job = try await service.updateStatus(jobID: jobID, to: .completed, by: requester)
        case "cancel": job = try await service.updateStatus(jobID: jobID, to: .cancelled, by: requester)
        default:
            throw BookingError.invalidArgument(
                field: "action",
                reason: "confirm, schedule, start, complete, cancel or reschedule"
            )
        }
        var result = Self.summary(of: job)
        result["say"] = .string(
            action == "reschedule"
                ? "Job \(job.id) is moved to \(job.date.spoken), \(job.window.spoken)."
                : "Job \(job.id) is now \(job.status.spoken)."
        )
        return .object(result)
    }

    private func jobDetails(_ arguments: Arguments, for requester: Requester) async throws -> Value {
        let jobs: [Job]
        if let id = arguments.optionalText("job_id") {
            jobs = [try await service.job(id: id, for: requester)]
        } else {
            jobs = try await service.jobs(phone: arguments.optionalText("phone"), for: requester)
        }
        var summaries: [Value] = []
        var lines: [String] = []
        for job in jobs {
            let history = try await service.store.history(jobID: job.id)
            var summary = Self.summary(of: job)
            summary["booked_at"] = history.first.map { .string(SpokenTime.iso($0.at)) } ?? .null
            summary["last_changed_at"] = .string(SpokenTime.iso(history.last?.at ?? job.updatedAt))
            summary["history"] = .array(
                history.map { event in
                    [
                        "at": .string(SpokenTime.iso(event.at)), "by": .string(event.by),
                        "from": event.from.map { .string($0.rawValue) } ?? .null, "to": .string(event.to.rawValue),
                        "what": .string(event.reason),
                    ]
                }
            )
            summaries.append(.object(summary))
            var line = "Job \(job.id): \(job.date.spoken), \(job.window.rawValue), \(job.status.spoken)."
            if let booked = history.first {
                line += " Booked \(SpokenTime.spoken(booked.at, in: service.policy.timeZone))"
                if let last = history.last, history.count > 1 {
                    line += "; last changed \(SpokenTime.spoken(last.at, in: service.policy.timeZone)) (\(last.reason))"
                }
                line += "."
            }
            lines.append(line)
        }
        let say = jobs.isEmpty ? "There are no bookings for that number." : lines.joined(separator: " ")
        return ["jobs": .array(summaries), "say": .string(say)]
    }

    private func finishCall(for requester: Requester) async throws -> Value {
        guard case .caller(let caller) = requester else {
            throw BookingError.invalidArgument(field: "call", reason: "finish_call needs the call in _meta.callSid")
        }
        let finished = try await service.finishCall(callSid: caller.callSid)
        return [
            "booked_job_ids": .array(finished.jobs.map { .string($0.id) }),
            "confirmations_queued": .int(finished.queued),
        ]
    }

    private func sendVerificationCode(_ arguments: Arguments, for requester: Requester) async throws -> Value {
        let sent = try await service.sendVerificationCode(jobID: try arguments.text("job_id"), for: requester)
        return [
            "job_id": .string(sent.jobID),
            "to_last_digits": .string(sent.lastDigits),
            "say": .string(
                "I've texted a 6-digit code to the phone on booking \(sent.jobID), the number ending "
                    + "\(sent.lastDigits). Please read it to me when it arrives; it is valid for 10 minutes."
            ),
        ]
    }

    private func checkVerificationCode(_ arguments: Arguments, for requester: Requester) async throws -> Value {
        let job = try await service.checkVerificationCode(
            jobID: try arguments.text("job_id"),
            code: try arguments.text("code"),
            for: requester
        )
        var result = Self.summary(of: job)
        result["verified"] = .bool(true)
        result["say"] = .string(
            "Thank you, that's the right code. Job \(job.id): \(job.date.spoken), \(job.window.spoken), "
                + "\(job.status.spoken). How can I help with it?"
        )
        return .object(result)
    }

    /// Who is asking: a call's caller when the voice server passes the call in `_meta` (`callSid`, `callerNumber`,
    /// `callerNumberVerified`), otherwise staff. Only clients that passed the admin listener's token (or loopback)
    /// reach the MCP server at all; the model cannot change `_meta`, which the voice server writes.
    static func requester(_ meta: Metadata?) -> Requester {
        guard let callSid = meta?["callSid"]?.stringValue, !callSid.isEmpty else { return .staff }
        return .caller(
            Caller(
                callSid: callSid,
                number: callerNumber(meta),
                numberIsVerified: meta?["callerNumberVerified"]?.boolValue ?? false
            )
        )
    }

    /// The number the caller is calling from, which the voice server passes in `_meta` as `callerNumber`.
    private static func callerNumber(_ meta: Metadata?) -> String? {
        guard let number = meta?["callerNumber"]?.stringValue, !number.isEmpty else { return nil }
        return number
    }

    // MARK: Results

    static func summary(of job: Job) -> [String: Value] {
        [
            "job_id": .string(job.id),
            "status": .string(job.status.rawValue),
            "customer_name": .string(job.customerName),
            "phone": .string(job.phone),
            "pickup_address": .string(job.pickupAddress),
            "dropoff_address": .string(job.dropoffAddress),
            "date": .string(job.date.iso),
            "weekday": .string(job.date.weekday.name),
            "spoken_date": .string(job.date.spoken),
            "window": .string(job.window.rawValue),
            "home_size": .string(job.homeSize.rawValue),
            "crew_size": .int(job.crewSize),
            "estimated_hours": .int(job.estimatedHours),
            "price_estimate_usd": .double(Double(job.priceEstimateCents) / 100),
            "call_sid": job.callSid.map(Value.string) ?? .null,
        ]
    }

    static func estimate(_ estimate: PriceEstimate) -> Value {
        [
            "movers": .int(estimate.movers),
            "hours": .int(estimate.hours),
            "truck_size": .string(estimate.truckSize.rawValue),
            "price_usd": .double(Double(estimate.totalCents) / 100),
            "spoken_price": .string(estimate.spoken),
        ]
    }

    static func refusal(_ message: String) -> CallTool.Result {
        CallTool.Result(
            content: [.text(text: message, annotations: nil, _meta: nil)],
            structuredContent: ["error": .string(message)] as Value?,
            isError: true
        )
    }

    static func json(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// A tool call's arguments, read with errors the assistant can act on.
private struct Arguments {
    let values: [String: Value]

    func optionalText(_ name: String) -> String? {
        guard let value = values[name] else { return nil }
        let text: String? =
            switch value {
            case .string(let text): text
            case .int(let number): String(number)
            case .double(let number): String(number)
            default: nil
            }
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    func text(_ name: String) throws(BookingError) -> String {
        guard let text = optionalText(name) else {
            throw .invalidArgument(field: name.replacingOccurrences(of: "_", with: " "), reason: "it is missing")
        }
        return text
    }

    func flag(_ name: String) -> Bool {
        if case .bool(let value) = values[name] { return value }
        return optionalText(name)?.lowercased() == "true"
    }

    func homeSize(_ name: String, required: Bool) throws(BookingError) -> HomeSize? {
        guard let text = optionalText(name) else {
            if required { throw .invalidArgument(field: "home size", reason: "ask how many bedrooms") }
            return nil
        }
        guard let size = HomeSize(loose: text) else {
            throw .invalidArgument(field: "home size", reason: "say studio, or the number of bedrooms")
        }
        return size
    }
}
