import DirectLinkCrypto
import DirectLinkEngine
import DirectLinkGateway
import DirectLinkMessage
import DirectLinkXML
import Foundation
import GRDB
import Logging
import Testing

/// A storage failure is answered with SYS.UNAVAILABLE and a fixed message: SQLite's own text (its error, the
/// statement, the file's path) stays in the log and never reaches the peer or the signed response.
struct StorageFailureTests {
    @Test func sqliteErrorTextNeverReachesTheClient() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("directlink-storage-failure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("engine.sqlite").path
        let engine = try TransactionEngine.open(path: path, configuration: try EngineConfiguration.load(directory: Repository.root.appendingPathComponent("conf/engine")))
        defer { engine.close() }
        guard let xsd = FileManager.default.contents(atPath: Repository.path("Schemas/directlink-1.xsd")) else { throw HarnessFailure("no schema") }
        let verifier = MessageVerifier(trust: try TrustStore(caBundlePath: Repository.pki("ca-bundle.pem"), crlPaths: [Repository.pki("crls.pem")]),
                                       schema: try XMLSchema(xsd: [UInt8](xsd)))
        let gateway = Gateway(verifier: { verifier }, signer: try MessageSigner(keyPath: Repository.pki("bank-signing-ec.key"),
                                                                                certificatePath: Repository.pki("bank-signing-ec.pem")),
                              engine: engine, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let bank = try Bank()
        let context = RequestContext(connectionId: 9, tlsCorpId: nil, tlsPeerFingerprint: nil)

        // Another process holds the database: the engine's commit fails after its busy timeout.
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true
        let intruder = try DatabaseQueue(path: path, configuration: unsafe)
        try await intruder.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }
        let payment = try Request.intraBankPayment()
        let bytes = try #require(await gateway.handle(payment, context: context))
        try await intruder.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }

        let answer = try bank.read(bytes)
        #expect(answer.retCode == RetCode.serviceUnavailable.rawValue, "\(answer.summary)")
        let text = String(decoding: bytes, as: UTF8.self)
        for leak in ["SQLite", "sqlite", "locked", "BEGIN", "engine.sqlite", directory.path] {
            #expect(!text.contains(leak), "the response carries \(leak): \(text)")
        }
        #expect(text.contains("query with the same SerialNo"), "the fixed message tells the client what to do: \(text)")

        // Nothing was applied: the same payment goes through once the database answers.
        let resent = try bank.read(try #require(await gateway.handle(payment, context: context)))
        #expect(resent.retCode == RetCode.ok.rawValue, "\(resent.summary)")
    }
}
