import Foundation
import Testing

/// `directlink send` against the real daemon: exit 0 only for a response signed by the pinned bank certificate with
/// RetCode 0000; a response signed by another certificate of the same CA is refused; the server is reached by IP
/// literal and by name.
struct SendCommandTests {
    typealias Harness = DaemonSIGKILLTests

    /// Runs `directlink send ARGS…`; returns its exit status and standard error.
    static func send(_ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = try Harness.binary()
        process.currentDirectoryURL = Harness.root
        process.arguments = ["send"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func sendExitsZeroOnlyForTheBanksVerifiedSuccess() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-send-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let (daemon, port, _) = try Harness.startDaemon(data: data.path)
        defer { daemon.terminate() }
        let message = "Fixtures/messages/corpa/balance-query.xml"

        let ok = try Self.send(["--server", "127.0.0.1:\(port)", message])
        #expect(ok.status == 0, "\(ok.errors)")
        #expect(ok.errors.contains("bank signature OK"), "\(ok.errors)")

        let byName = try Self.send(["--server", "localhost:\(port)", message])
        #expect(byName.status == 0, "the certificate's DNS name: \(byName.errors)")

        // A certificate from the same CA that is not the bank's: the response is not the bank's as far as send knows.
        let pinnedElsewhere = try Self.send(["--server", "127.0.0.1:\(port)", "--bank-cert", "\(Harness.pki)/corpa-maker-ec.pem", message])
        #expect(pinnedElsewhere.status == 3, "\(pinnedElsewhere.errors)")
        #expect(pinnedElsewhere.errors.contains("not a --bank-cert"), "\(pinnedElsewhere.errors)")

        // (A wrong --server-name cannot be shown against this daemon: swift-nio-ssl also accepts a certificate whose IP
        // SAN is the connected address, and the demo certificate names 127.0.0.1.)
        #expect(daemon.isRunning)
    }
}
