import DirectLinkCrypto
import DirectLinkEngine
import DirectLinkLedger
import DirectLinkMessage
import DirectLinkXML
import Foundation
import Logging
import Metrics

/// Where a frame came from, as the transport proved it.
public struct RequestContext: Sendable {
    public var connectionId: UInt64
    /// The corporation the TLS client certificate speaks for (its `OU`); nil for in-process callers (replay).
    public var tlsCorpId: String?
    public var tlsPeerFingerprint: String?

    public init(connectionId: UInt64, tlsCorpId: String?, tlsPeerFingerprint: String?) {
        self.connectionId = connectionId
        self.tlsCorpId = tlsCorpId
        self.tlsPeerFingerprint = tlsPeerFingerprint
    }
}

/// Records every inbound frame and outbound response before the response is released (the audit log), and answers
/// clients' questions about it (AUD.CHECKPOINT, AUD.PROOF).
public protocol AuditSink: Sendable {
    func record(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) async throws
    /// Starts recording an exchange and returns at once; the gateway awaits `durable()` before it releases the
    /// response, and meanwhile waits for the response journal. The default runs `record` in a task.
    func begin(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) -> any AuditPending
    /// The newest signed checkpoint, or nil while the log has none.
    func latestCheckpoint() async throws -> AuditCheckpointView?
    /// Inclusion proofs for a corporation's records with one SerialNo against the newest checkpoint.
    func inclusion(corpId: String, serialNo: String) async throws -> AuditInclusionView?
}

/// An exchange handed to an `AuditSink`: `durable()` returns once its records are on disk, or throws.
public protocol AuditPending: Sendable {
    func durable() async throws
}

extension AuditSink {
    public func begin(inbound: [UInt8], outbound: [UInt8], metadata: AuditMetadata) -> any AuditPending {
        RecordingTask(task: Task { try await self.record(inbound: inbound, outbound: outbound, metadata: metadata) })
    }
}

private struct RecordingTask: AuditPending {
    let task: Task<Void, any Error>

    func durable() async throws {
        try await task.value
    }
}

public struct AuditCheckpointView: Sendable {
    public var treeSize: UInt64
    public var rootHash: [UInt8]
    public var time: Date
    /// ECDSA P-256 over the documented checkpoint text (docs/audit.md), DER as `openssl dgst` expects.
    public var signature: [UInt8]
    /// The exact bytes signed (four lines; the time in milliseconds): sent so a client can check the signature.
    public var signedText: [UInt8]

    public init(treeSize: UInt64, rootHash: [UInt8], time: Date, signature: [UInt8], signedText: [UInt8]) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.time = time
        self.signature = signature
        self.signedText = signedText
    }
}

public struct AuditInclusionView: Sendable {
    public struct Entry: Sendable {
        public var leafIndex: UInt64
        public var leafHash: [UInt8]
        /// The canonical record (the leaf input), so the client can recompute the leaf hash.
        public var record: [UInt8]
        public var proof: [[UInt8]]

        public init(leafIndex: UInt64, leafHash: [UInt8], record: [UInt8], proof: [[UInt8]]) {
            self.leafIndex = leafIndex
            self.leafHash = leafHash
            self.record = record
            self.proof = proof
        }
    }

    public var checkpoint: AuditCheckpointView
    public var entries: [Entry]

    public init(checkpoint: AuditCheckpointView, entries: [Entry]) {
        self.checkpoint = checkpoint
        self.entries = entries
    }
}

public struct AuditMetadata: Sendable {
    public var receivedAt: Date
    public var connectionId: UInt64
    public var peerFingerprint: String?
    public var corpId: String?
    public var serialNo: String?
    public var txCode: String?
    /// True when the inbound frame passed `MessageVerifier` (whatever the later checks decided).
    public var verified: Bool
    /// True when the transport could not read the frame at all (`Gateway.recordUnreadable`).
    public var unreadable = false
    public var retCode: String
    public var correlationId: String
}

/// The per-message pipeline: verify → time window → TLS identity → operator identity → permission →
/// idempotent replay → engine → signed response → audit. It never throws: every failure is a signed response,
/// and a time-out or internal error is never reported as a final failure.
public final class Gateway: Sendable {
    public struct Settings: Sendable {
        public var timeWindowSeconds: Int = 300
        public init() {}
    }

    let verifier: @Sendable () -> MessageVerifier
    let responses: ResponseBuilder
    let engine: TransactionEngine
    let directory: OperatorDirectory
    let settings: Settings
    let clock: @Sendable () -> Date
    let audit: (any AuditSink)?
    let logger: Logger

    public init(verifier: @escaping @Sendable () -> MessageVerifier, signer: MessageSigner, engine: TransactionEngine,
                settings: Settings = Settings(), audit: (any AuditSink)? = nil, logger: Logger,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.verifier = verifier
        self.responses = ResponseBuilder(signer: signer)
        self.engine = engine
        self.directory = OperatorDirectory(seed: engine.configuration.seed)
        self.settings = settings
        self.audit = audit
        self.logger = logger
        self.clock = clock
    }

    /// Answers one frame with one signed response.
    /// Records a frame the transport could not read (its bytes as far as they arrived) and the plain, unsigned
    /// error the transport sends for it. Such a record has no SerialNo or TxCode; its CorpId is the TLS client's.
    /// Returns true once both records are durable (or when there is no audit log), false when they could not be
    /// made durable — the transport then closes without sending the error.
    /// Logs it (one line, as for every message) and counts it under `tx_code="UNKNOWN"`.
    public func recordUnreadable(_ received: [UInt8], response: [UInt8], retCode: String, correlationId: String,
                                 context: RequestContext) async -> Bool {
        Counter(label: "directlink_requests_total", dimensions: [("tx_code", "UNKNOWN"), ("ret_code", retCode)]).increment()
        logger.info("unreadable frame", metadata: [
            "corp": "\(context.tlsCorpId ?? "-")", "tx": "UNKNOWN", "ret": "\(retCode)", "bytes": "\(received.count)",
            "connection": "\(context.connectionId)", "correlation": "\(correlationId)",
        ])
        guard let audit else { return true }
        let metadata = AuditMetadata(receivedAt: clock(), connectionId: context.connectionId, peerFingerprint: context.tlsPeerFingerprint,
                                     corpId: context.tlsCorpId, serialNo: nil, txCode: nil, verified: false, unreadable: true,
                                     retCode: retCode, correlationId: correlationId)
        do {
            try await audit.begin(inbound: received, outbound: response, metadata: metadata).durable()
            return true
        } catch {
            logger.critical("audit log write failed for an unreadable frame; closing without an answer",
                            metadata: ["correlation": "\(metadata.correlationId)", "ret": "\(retCode)"])
            return false
        }
    }

    /// The signed response to send, or nil when nothing may be sent: the audit log could not make the exchange
    /// durable, nor a SYS.UNAVAILABLE answer in its place (the transport then closes the connection; a resend with the
    /// same SerialNo gets the original result once the log works).
    public func handle(_ frame: [UInt8], context: RequestContext) async -> [UInt8]? {
        let started = ContinuousClock.now
        let receivedAt = clock()
        var echo = ResponseBuilder.Echo(correlationId: Self.correlationId())
        var binding = MessageVerifier.detectBinding(frame) ?? .xmlDSig
        var verified = false
        let outcome: (ResponseStatus, ResponseBody, Ready?)
        do {
            let message = try verify(frame, at: receivedAt)
            verified = true
            binding = message.binding
            echo = ResponseBuilder.Echo(txCode: message.head.txCode, corpId: message.head.corpId, operatorId: message.head.operatorId,
                                        serialNo: message.head.serialNo, correlationId: echo.correlationId)
            let release: Release = { [echo] bytes, status in
                self.beginAudit(frame, bytes, context: context, echo: echo, status: status, verified: true, at: receivedAt)
            }
            outcome = try await process(message, context: context, echo: echo, now: receivedAt, release: release)
        } catch {
            if !verified {
                let peeked = verifier().peekHead(frame)
                echo = ResponseBuilder.Echo(txCode: peeked.txCode, corpId: peeked.corpId, operatorId: peeked.operatorId,
                                            serialNo: peeked.serialNo, correlationId: echo.correlationId)
            }
            outcome = (error.status, .error, nil)
        }
        var (status, body, ready) = outcome
        if status.retCode == .timestampOutOfWindow { status.serverTime = receivedAt }
        let released: Sent
        switch ready {
        case .released(let sent):
            released = sent
        case .stored(let bytes):
            released = await self.bytes(beginAudit(frame, bytes, context: context, echo: echo, status: status, verified: verified, at: receivedAt))
        case nil:
            let response = build(echo: echo, status: status, body: body, binding: binding, now: receivedAt)
            released = await self.bytes(beginAudit(frame, response, context: context, echo: echo, status: status, verified: verified, at: receivedAt))
        }
        // The log line and the metrics tell what was sent: SYS.UNAVAILABLE (or nothing) when the record failed.
        observe(echo: echo, status: released.substituted ? ResponseStatus(.serviceUnavailable) : status, started: started)
        return released.bytes
    }

    /// A response already built: `stored` still needs its audit record, `released` has it.
    enum Ready {
        case stored([UInt8])
        /// Recorded and released (`bytes(_:)`).
        case released(Sent)
    }

    /// What may go out for a frame: the response, SYS.UNAVAILABLE in its place (`substituted`), or nothing (nil).
    struct Sent: Sendable {
        let bytes: [UInt8]?
        let substituted: Bool
    }

    /// Starts recording the exchange in the audit log; `bytes(_:)` of the result is what may then be sent (the
    /// response, or SYS.UNAVAILABLE when its record could not be made durable).
    typealias Release = @Sendable ([UInt8], ResponseStatus) -> Releasing

    /// A response whose audit record is on its way to disk; `Gateway.bytes(_:)` waits for it.
    struct Releasing: Sendable {
        let response: [UInt8]
        let pending: (any AuditPending)?
        let echo: ResponseBuilder.Echo
        let time: Date
        /// The request and its record's metadata, to record it with SYS.UNAVAILABLE when this response's record fails.
        let frame: [UInt8]
        let metadata: AuditMetadata?
    }

    /// The response once its audit record is durable. When it could not be made durable: SYS.UNAVAILABLE, if that
    /// answer's own record (with the request) is durable, else nil — never a response whose record is not durable.
    private func bytes(_ releasing: Releasing) async -> Sent {
        guard let pending = releasing.pending else { return Sent(bytes: releasing.response, substituted: false) }
        do {
            try await pending.durable()
            return Sent(bytes: releasing.response, substituted: false)
        } catch {
            let status = ResponseStatus(.serviceUnavailable, detail: "audit log unavailable")
            let unavailable = build(echo: releasing.echo, status: status, body: .error, binding: .xmlDSig, now: releasing.time)
            if let audit, var metadata = releasing.metadata {
                metadata.retCode = status.retCode.rawValue
                if (try? await audit.begin(inbound: releasing.frame, outbound: unavailable, metadata: metadata).durable()) != nil {
                    logger.critical("audit log write failed; answering SYS.UNAVAILABLE", metadata: ["correlation": "\(releasing.echo.correlationId)"])
                    return Sent(bytes: unavailable, substituted: true)
                }
            }
            logger.critical("audit log write failed; closing without an answer", metadata: ["correlation": "\(releasing.echo.correlationId)"])
            return Sent(bytes: nil, substituted: true)
        }
    }

    private func verify(_ frame: [UInt8], at time: Date) throws(GatewayRejection) -> VerifiedMessage {
        do {
            return try verifier().verify(frame, at: time)
        } catch {
            throw GatewayRejection(status: ResponseStatus(error.code, detail: Self.describe(error), errorPath: error.path))
        }
    }

    /// The checks after the signature, then the engine. Returns the status, the body, and for a replayed serial
    /// the exact stored response.
    private func process(_ message: VerifiedMessage, context: RequestContext, echo: ResponseBuilder.Echo, now: Date,
                         release: Release) async throws(GatewayRejection) -> (ResponseStatus, ResponseBody, Ready?) {
        let head = message.head
        if head.txCode != "SYS.TIME" { try checkTimeWindow(head.timestamp, now: now) }
        if let tlsCorp = context.tlsCorpId, tlsCorp != head.corpId {
            throw GatewayRejection(.tlsIdentityMismatch, "the connection is for \(tlsCorp), the message for \(head.corpId)", path: "/Message/Head/CorpId")
        }
        let (corporation, _) = try directory.authenticate(message)
        let request = ParsedRequest(message: message, corporation: corporation)
        guard request.isIdempotent else {
            let (status, body) = try await dispatch(request, now: now)
            return (status, body, nil)
        }
        return try await idempotently(request, echo: echo, now: now, release: release)
    }

    /// A non-query command: a stored response for the same serial and content is resent byte for byte; the same
    /// serial with different content is a conflict naming the first differing field.
    private func idempotently(_ request: ParsedRequest, echo: ResponseBuilder.Echo, now: Date,
                              release: Release) async throws(GatewayRejection) -> (ResponseStatus, ResponseBody, Ready?) {
        let head = request.message.head
        let (digest, body) = try request.contentDigest()
        // The engine knows every serial forever: only when it reports one as seen before is the journal read.
        let (status, responseBody) = try await dispatch(request, now: now)
        if status.serialSeenBefore {
            let stored: StoredResponse?
            do {
                stored = try await engine.storedResponse(corporation: head.corpId, serial: head.serialNo)
            } catch {
                throw GatewayRejection(.serviceUnavailable, "the response journal could not be read")
            }
            if let stored {
                guard stored.contentDigest == digest else {
                    let field = ContentDiff.firstDifference(stored.requestBody, body, storedTxCode: stored.transactionCode, txCode: head.txCode)
                    throw GatewayRejection(.serialConflict, "SerialNo \(head.serialNo) was used before with different content", path: field)
                }
                return (.ok, .error, .stored(stored.response))
            }
            // Committed but its response never reached the journal (a crash in between): answer from the engine's
            // record of the original, and store nothing, since this is not the original request's response.
            return (status, responseBody, nil)
        }
        guard status.retCode != .serviceUnavailable, status.retCode != .internalError else {
            return (status, responseBody, nil)
        }
        let bytes = build(echo: echo, status: status, body: responseBody, binding: request.message.binding, now: now)
        // The journal write and the audit record are both durable before the response goes out; they run together.
        let audited = release(bytes, status)
        let kept: [UInt8]
        do {
            kept = try await engine.storeResponse(StoredResponse(
                corporation: head.corpId, serial: head.serialNo, transactionCode: head.txCode,
                contentDigest: digest, requestBody: body, response: bytes)).response
        } catch {
            // The engine's own idempotency still holds: a resend gets the same business result in a new response.
            logger.error("response journal write failed", metadata: ["correlation": "\(echo.correlationId)"])
            kept = bytes
        }
        let released = await self.bytes(audited)
        guard kept == bytes else {
            // An identical request raced this one and its response was stored first: send (and record) that one.
            return (status, responseBody, .released(await self.bytes(release(kept, status))))
        }
        return (status, responseBody, .released(released))
    }

    private func checkTimeWindow(_ timestamp: String, now: Date) throws(GatewayRejection) {
        guard let sent = Timestamps.parse(timestamp) else {
            throw GatewayRejection(.timestampOutOfWindow, "Timestamp \(timestamp) is not ISO 8601 with an offset", path: "/Message/Head/Timestamp")
        }
        let skew = sent.timeIntervalSince(now)
        guard abs(skew) <= Double(settings.timeWindowSeconds) else {
            throw GatewayRejection(.timestampOutOfWindow, "Timestamp is \(Int(skew)) s from the bank's clock; the window is ±\(settings.timeWindowSeconds) s", path: "/Message/Head/Timestamp")
        }
    }

    private func build(echo: ResponseBuilder.Echo, status: ResponseStatus, body: ResponseBody, binding: SignatureBinding, now: Date) -> [UInt8] {
        do {
            return try responses.build(echo: echo, status: status, body: body, binding: binding, now: now)
        } catch {
            // Only a broken bank key or an OpenSSL failure gets here; answer with the internal error, signed if possible.
            logger.critical("response could not be signed", metadata: ["correlation": "\(echo.correlationId)", "error": "\(error)"])
            let fallback = try? responses.build(echo: echo, status: ResponseStatus(.internalError), body: .error, binding: .xmlDSig, now: now)
            return fallback ?? Array("<FrameError xmlns=\"urn:directlink:1\"><RetCode>9001</RetCode></FrameError>".utf8)
        }
    }

    private func beginAudit(_ frame: [UInt8], _ response: [UInt8], context: RequestContext, echo: ResponseBuilder.Echo,
                            status: ResponseStatus, verified: Bool, at time: Date) -> Releasing {
        guard let audit else { return Releasing(response: response, pending: nil, echo: echo, time: time, frame: frame, metadata: nil) }
        let metadata = AuditMetadata(receivedAt: time, connectionId: context.connectionId, peerFingerprint: context.tlsPeerFingerprint,
                                     corpId: echo.corpId, serialNo: echo.serialNo, txCode: echo.txCode,
                                     verified: verified, retCode: status.retCode.rawValue,
                                     correlationId: echo.correlationId)
        return Releasing(response: response, pending: audit.begin(inbound: frame, outbound: response, metadata: metadata), echo: echo, time: time,
                         frame: frame, metadata: metadata)
    }

    private func observe(echo: ResponseBuilder.Echo, status: ResponseStatus, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        let txCode = echo.txCode ?? "UNKNOWN"
        Counter(label: "directlink_requests_total", dimensions: [("tx_code", txCode), ("ret_code", status.retCode.rawValue)]).increment()
        Timer(label: "directlink_request_duration", dimensions: [("tx_code", txCode)]).recordNanoseconds(nanoseconds)
        let code = status.retCode.rawValue
        if code.hasPrefix("3") || code.hasPrefix("4") {
            Counter(label: "directlink_signature_rejections_total", dimensions: [("ret_code", code)]).increment()
        }
        if status.retCode == .limitExceeded {
            // Rule ids come from configuration, so the label set is bounded.
            Counter(label: "directlink_limit_rejections_total", dimensions: [("rule", status.ruleId ?? "-")]).increment()
        }
        if txCode.hasPrefix("APR.") || code.hasPrefix("75") {
            Counter(label: "directlink_approval_outcomes_total", dimensions: [("tx_code", txCode), ("ret_code", code)]).increment()
        }
        if let paymentStatus = status.paymentStatus {
            // Statuses are a closed enum: a bounded label set.
            Counter(label: "directlink_payment_status_total", dimensions: [("tx_code", txCode), ("status", paymentStatus)]).increment()
        }
        logger.info("message", metadata: [
            "corp": "\(echo.corpId ?? "-")", "serial": "\(echo.serialNo ?? "-")", "tx": "\(txCode)",
            "ret": "\(status.retCode.rawValue)", "latency_ms": "\(nanoseconds / 1_000_000)", "correlation": "\(echo.correlationId)",
        ])
    }

    static func describe(_ rejection: MessageRejection) -> String {
        var text = rejection.reason
        if let line = rejection.line { text += " (line \(line))" }
        return text
    }

    /// 16 hex digits, random: ties the response, the log line and the audit record together.
    public static func correlationId() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt64.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension Error {
    /// Any error on the request path as a response status; unknown errors are internal errors (detail only in logs).
    var status: ResponseStatus {
        switch self {
        case let rejection as GatewayRejection: rejection.status
        case let engine as EngineError: engine.rejection.status
        default: ResponseStatus(.internalError)
        }
    }

}
