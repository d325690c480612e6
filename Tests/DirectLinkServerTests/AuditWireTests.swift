import DirectLinkAudit
import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkServer
import DirectLinkXML
import Foundation
import Testing

/// AUD.CHECKPOINT and AUD.PROOF over the wire, against a daemon with its audit log on: the checkpoint a client gets
/// is the one signed in the log, and the proof for a payment's serial carries the exact bytes the client sent and
/// received, leading to that checkpoint's root.
extension DaemonEndToEndTests {
    static func auditOn(_ configuration: inout DaemonConfiguration) {
        configuration.audit.enabled = true
        configuration.audit.checkpointEveryRecords = 2
    }

    private static func bytes(hex: String?) -> [UInt8] {
        guard let hex, hex.count % 2 == 0 else { return [] }
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return [] }
            out.append(byte)
            index = next
        }
        return out
    }

    @Test(arguments: framings) func auditCheckpointAndProofOverTheWire(framing: DirectLinkClient.Framing) async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.auditOn) { daemon in
            let client = try await daemon.connect(framing: framing)
            defer { Task { await client.close() } }
            let serial = MessageTemplate.freshSerial()
            let request = try Request.intraBankPayment(serial: serial, amount: "3.00")
            let paid = try await bank.send(request, on: client)
            #expect(paid.retCode == "0000", "\(paid.summary)")

            // A checkpoint covering the payment's two records is signed once they are durable.
            var checkpoint: Reply?
            _ = try await eventually {
                checkpoint = try await bank.send(try Request.signed("audit-checkpoint"), on: client)
                return checkpoint?.retCode == "0000" && (UInt64(checkpoint?.field("TreeSize") ?? "") ?? 0) >= 2
            }
            let latest = try #require(checkpoint)
            #expect(latest.resultName == "CheckpointResult", "\(latest.summary)")
            let directory = try #require(daemon.daemon.auditDirectory)
            let stored = try AuditLogReader.read(directory: directory).checkpoints
            let certificate = try AuditLogReader.certificate(directory: directory)
            let match = try #require(stored.first { "\($0.treeSize)" == latest.field("TreeSize") },
                                     "the TreeSize a client got is one the log signed")
            #expect(match.rootHash.hexString == latest.field("RootHash"))
            #expect(Base64.encode(match.signature) == latest.field("Signature"))
            #expect(match.isSigned(by: certificate))
            // From the response alone (and the bank's audit certificate): the signed text, its signature, its fields.
            let signedText = try #require(Base64.decode(latest.field("SignedText") ?? ""))
            let signature = try #require(Base64.decode(latest.field("Signature") ?? ""))
            let onTheWire = try Checkpoint.parse(signedText: signedText, signature: signature)
            #expect(onTheWire.isSigned(by: certificate), "a client checks the checkpoint's signature from the response")
            #expect("\(onTheWire.treeSize)" == latest.field("TreeSize") && onTheWire.rootHash.hexString == latest.field("RootHash"))

            // The proof for the payment's serial: its inbound and outbound records, under a signed root.
            let proof = try await bank.send(try Request.signed("audit-proof", [("OrigSerialNo", serial)]), on: client)
            #expect(proof.retCode == "0000", "\(proof.summary)")
            let treeSize = try #require(UInt64(proof.field("TreeSize") ?? ""))
            let root = Self.bytes(hex: proof.field("RootHash"))
            #expect(stored.contains { $0.treeSize == treeSize && $0.rootHash == root }, "the proof is against a signed checkpoint")
            let entries = proof.all("Entry")
            #expect(entries.count == 2)
            var messages: [AuditRecord.Direction: [UInt8]] = [:]
            for entry in entries {
                let record = try #require(Base64.decode(entry.field("Record") ?? ""))
                let leafHash = Self.bytes(hex: entry.field("LeafHash"))
                #expect(MerkleHash.leaf(record) == leafHash)
                let index = try #require(UInt64(entry.field("LeafIndex") ?? ""))
                let path = entry.children.filter { $0.isNamed("Hash", in: Namespace.directLink) }.map { Self.bytes(hex: $0.text) }
                #expect(MerkleProof.verifyInclusion(leafHash: leafHash, leafIndex: index, treeSize: treeSize, proof: path, rootHash: root))
                let decoded = try AuditRecord.decode(record[...])
                #expect(decoded.leafIndex == index)
                #expect(decoded.record.serialNo == serial && decoded.record.corpId == "CORPA001")
                messages[decoded.record.direction] = decoded.record.bytes
            }
            #expect(messages[.inbound] == request, "the log holds the exact request bytes")
            #expect(messages[.outbound] == paid.bytes, "the log holds the exact response bytes the client received")
        }
    }

    @Test func auditProofOfAnUnknownSerialIs8011WithItsPath() async throws {
        let bank = try Bank()
        try await RunningDaemon.with(Self.auditOn) { daemon in
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            let reply = try await bank.send(try Request.signed("audit-proof", [("OrigSerialNo", "NEVER-SENT-1")]), on: client)
            #expect(reply.retCode == RetCode.paymentUnknown.rawValue, "\(reply.summary)")
            #expect(reply.head("ErrorPath") == "/Message/Body/ProofQuery/OrigSerialNo")
        }
    }

    /// Frames that cannot be read are in the log too: the bytes as far as they arrived, and the plain error sent
    /// for them (recorded before it is sent), under the TLS client's CorpId — classic garbage, a classic frame cut
    /// off by frameReadTimeoutMs, and an HTTP head cut off the same way.
    @Test func unreadableFramesAreLoggedWithTheErrorSentForThem() async throws {
        try await RunningDaemon.with({ Self.auditOn(&$0); Self.smallLimits(&$0) }) { daemon in
            let garbage = Array("xx\u{01}\u{02}garbage!".utf8)
            let request = try Request.signed("server-time")
            let cutFrame = Array(classicFrame(request).prefix(8 + request.count / 2))
            let cutHead = Array("POST /directlink HTTP/1.1\r\nHost: localhost\r\nX-Trace: ab".utf8)
            var sent: [[UInt8]: (code: String, error: [UInt8])] = [:]
            // Two bytes: too few even to tell the framing (the sniffer's own timeout).
            let twoBytes = Array("PO".utf8)
            for (bytes, code) in [(garbage, "1003"), (cutFrame, "1004"), (cutHead, "1004"), (twoBytes, "1004")] {
                let raw = try await RawTLSConnection.open(port: daemon.port)
                try await raw.write(bytes)
                #expect(await raw.closedByPeer(within: .seconds(5)), "the connection must close")
                let error: [UInt8]
                if bytes == cutHead {
                    let text = raw.received
                    let split = try #require(text.firstRange(of: Array("\r\n\r\n".utf8)))
                    error = Array(text[split.upperBound...])
                } else {
                    error = try #require(classicFrames(in: raw.received).first)
                }
                sent[bytes] = (code, error)
            }

            let directory = try #require(daemon.daemon.auditDirectory)
            var records: [AuditRecord] = []
            _ = try AuditLogReader.read(directory: directory) { _, record, _ in records.append(record) }
            for (bytes, expected) in sent {
                let position = try #require(records.firstIndex { $0.direction == .inbound && $0.bytes == bytes },
                                            "no record of \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                let inbound = records[position]
                #expect(inbound.verdict == .unreadable && inbound.retCode == expected.code && inbound.corpId == "CORPA001")
                #expect(inbound.serialNo.isEmpty && inbound.txCode.isEmpty)
                let outbound = try #require(records.dropFirst(position + 1).first { $0.correlationId == inbound.correlationId })
                #expect(outbound.direction == .outbound && outbound.bytes == expected.error, "the log holds the exact error sent")
                let plain = try PlainFrameError(xml: outbound.bytes)
                #expect(plain.retCode == expected.code)
                #expect(plain.correlationId == inbound.correlationId, "the error sent names the audit record's correlation id")
            }
        }
    }

    /// `audit verify --responses` checks the bank's signature on every signed response of a real daemon's log, and
    /// names a response changed in the log (its frame checksum recomputed) exactly, where the checkpoint roots alone
    /// can only name a range.
    @Test func verifyWithResponsesNamesAChangedResponseExactly() async throws {
        let bank = try Bank()
        let daemon = try await RunningDaemon.start(Self.auditOn)
        let directory = try #require(daemon.daemon.auditDirectory)
        defer { try? FileManager.default.removeItem(atPath: daemon.dataDirectory) }
        do {
            let client = try await daemon.connect()
            #expect(try await bank.send(try Request.intraBankPayment(amount: "2.00"), on: client).retCode == "0000")
            #expect(try await bank.send(try Request.signed("balance-query"), on: client).retCode == "0000")
            let stale = try await bank.send(try Request.intraBankPayment(timestamp: Date().addingTimeInterval(-3600)), on: client)
            #expect(stale.retCode == "5001")
            await client.close()
            let raw = try await RawTLSConnection.open(port: daemon.port)
            try await raw.write(Array("xx\u{01}garbage".utf8))
            _ = await raw.closedByPeer(within: .seconds(5))
        } catch {
            try? await daemon.stop(removingData: false)
            throw error
        }
        try await daemon.stop(removingData: false)

        let trust = try TrustStore(caBundlePath: Repository.pki("ca-bundle.pem"), crlPaths: [Repository.pki("crls.pem")])
        let bankCertificate = try Certificate(pem: try #require(FileManager.default.contents(atPath: Repository.pki("bank-signing.pem"))).map { $0 })
        let summary = try AuditVerifier(trust: trust, checkResponses: true, responseSigners: [bankCertificate]).verify(directory: directory)
        #expect(summary.responseSignaturesChecked == 3, "\(summary)")
        // Pinned to another certificate the CA issued (an operator's): the first response fails.
        let operatorCertificate = try Certificate(pem: try #require(FileManager.default.contents(atPath: Repository.pki("corpa-maker-ec.pem"))).map { $0 })
        #expect(throws: AuditError.self) {
            try AuditVerifier(trust: trust, checkResponses: true, responseSigners: [operatorCertificate]).verify(directory: directory)
        }
        #expect(summary.responsesNotChecked == 1, "the plain error for the garbage has no signature")

        // Change one digit of the balance response and recompute its frame checksum (the leaf hash).
        var records: [(index: UInt64, record: AuditRecord)] = []
        _ = try AuditLogReader.read(directory: directory) { index, record, _ in records.append((index, record)) }
        let target = try #require(records.first { $0.record.direction == .outbound && $0.record.txCode == "BAL.QUERY" })
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".dlog") })
        let path = directory.appendingPathComponent(segment).path
        var file = try #require(FileManager.default.contents(atPath: path).map { [UInt8]($0) })
        let body = target.record.encode(leafIndex: target.index)
        let start = try #require(file.firstRange(of: body)?.lowerBound, "the record's body is in the segment")
        let response = String(decoding: target.record.bytes, as: UTF8.self)
        let balanceAt = try #require(response.range(of: "<Balance>")).upperBound
        let offset = start + body.count - target.record.bytes.count + response.utf8.distance(from: response.startIndex, to: balanceAt)
        file[offset] = file[offset] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        let leaf = MerkleHash.leaf(Array(file[start..<start + body.count]))
        file.replaceSubrange(start + body.count..<start + body.count + 32, with: leaf)
        try Data(file).write(to: URL(fileURLWithPath: path))

        do {
            _ = try AuditVerifier(trust: trust, checkResponses: true).verify(directory: directory)
            Issue.record("a changed response was not found")
        } catch let error as AuditError {
            #expect(error.code == .messageSignature && error.recordIndex == target.index, "\(error)")
        }
        do {
            _ = try AuditVerifier(trust: trust).verify(directory: directory)
            Issue.record("a changed response was not found by the roots")
        } catch let error as AuditError {
            #expect(error.code == .checkpointRoot && error.recordRangeEnd != nil, "\(error)")
            #expect("\(error)".contains("in records "), "a range, not one record: \(error)")
        }
    }
}
