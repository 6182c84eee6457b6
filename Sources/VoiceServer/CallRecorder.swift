import CallRecords
import Foundation
import Logging
import TwilioREST

/// `RECORD_CALLS`: starts recording each call through Twilio's REST API, both channels, once its media stream has
/// started (Twilio records only calls in progress), and notes the recording in the call record. Twilio then reports
/// on `/voice/recording-status` when the recording is ready. A failure to start is logged; the call goes on.
struct CallRecorder: Sendable {
    let client: TwilioRESTClient
    /// `PUBLIC_BASE_URL` + `/voice/recording-status`; `nil` without a public URL (no status then).
    let statusCallback: String?
    let callRecords: (any CallRecordStore)?

    func start(callSid: String, logger: Logger) async {
        do {
            let recordingSid = try await client.startRecording(callSid: callSid, statusCallback: statusCallback)
            try? await callRecords?.append(
                .recording(sid: recordingSid, status: "in-progress", durationSeconds: nil),
                callSid: callSid,
                at: Date()
            )
            logger.info("Recording the call", metadata: ["recording_sid": "\(recordingSid)"])
        } catch {
            logger.error("The call could not be recorded", metadata: ["reason": "\(error)"])
        }
    }
}
