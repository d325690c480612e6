import ArgumentParser
import DirectLinkCrypto
import DirectLinkGateway
import DirectLinkMessage
import DirectLinkServer
import DirectLinkXML
import Foundation
import NIOPosix

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Sign a message, send it to a daemon, verify the bank's signed response and print it.",
        discussion: """
        Defaults send as corporation CORPA001's operator MAKER01 (Fixtures/pki/corpa-maker-ec) over the connection
        certificate corpa-client to 127.0.0.1:8443. The Timestamp is set to now unless --keep-timestamp.
        Exits 0 only for a verified response with RetCode 0000.
        """
    )

    @Option(help: "host:port of the daemon.") var server: String = "127.0.0.1:8443"
    @Flag(help: "Use HTTP/1.1 POST /directlink instead of the classic length-prefixed framing.") var http = false
    @Option(help: "Signing key of the operator (PEM).") var key: String = ResourceLocator.path("Fixtures/pki/corpa-maker-ec.key")
    @Option(help: "Signing certificate of the operator (PEM).") var cert: String = ResourceLocator.path("Fixtures/pki/corpa-maker-ec.pem")
    @Option(help: "TLS client certificate (PEM).") var tlsCert: String = ResourceLocator.path("Fixtures/pki/corpa-client.pem")
    @Option(help: "TLS client key (PEM).") var tlsKey: String = ResourceLocator.path("Fixtures/pki/corpa-client.key")
    @Option(help: "CA bundle that must have issued the bank's TLS and signing certificates.") var trust: String = ResourceLocator.path("Fixtures/pki/ca-bundle.pem")
    @Option(help: "CRLs for checking the bank's signing certificate.") var crl: [String] = [ResourceLocator.path("Fixtures/pki/crls.pem")]
    @Option(help: "The bank's response-signing certificate (PEM; repeat for several): a response signed by any other certificate, even one from the CA bundle, is refused. Default: the demo bank's RSA and EC signing certificates.")
    var bankCert: [String] = [ResourceLocator.path("Fixtures/pki/bank-signing.pem"), ResourceLocator.path("Fixtures/pki/bank-signing-ec.pem")]
    @Option(help: "The name the bank's TLS certificate must carry (default: the --server host).") var serverName: String?
    @Flag(help: "Replace SerialNo with a fresh unique one.") var newSerial = false
    @Flag(help: "Keep the file's Timestamp instead of setting it to now.") var keepTimestamp = false
    @Flag(help: "Sign with the CMS (PKCS#7) binding instead of XML-DSig.") var cms = false
    @Flag(help: "Send the file as it is, already signed.") var presigned = false
    @Argument(help: "The message to send.") var file: String

    func run() async throws {
        let parts = server.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--server takes host:port") }
        var payload = try ResourceLocator.read(file)
        if !presigned {
            payload = try MessageTemplate.fill(payload, timestamp: keepTimestamp ? nil : Date(), serial: newSerial ? MessageTemplate.freshSerial() : nil)
            let signer = try MessageSigner(keyPath: key, certificatePath: cert)
            payload = cms ? try signer.signCMS(payload) : try signer.signXML(payload)
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let client = try await DirectLinkClient.connect(
            host: String(parts[0]), port: port,
            credentials: .init(certificatePath: tlsCert, privateKeyPath: tlsKey, trustedCAPath: trust),
            framing: http ? .http : .classic, group: group, serverName: serverName)
        let response = try await client.send(payload)
        await client.close()
        FileHandle.standardOutput.write(Data(response))
        print()
        let verifier = MessageVerifier(trust: try TrustStore(caBundlePath: trust, crlPaths: crl), schema: nil)
        do {
            let verified = try verifier.verify(response)
            let pinned = try bankCert.map { try Certificate(pem: ResourceLocator.read($0)) }
            guard pinned.contains(verified.signer.leaf) else {
                FileHandle.standardError.write(Data("bank response NOT verified: signed by \(verified.signer.identity.subject), which is not a --bank-cert\n".utf8))
                throw ExitCode(3)
            }
            let code = verified.head.retCode ?? "?"
            FileHandle.standardError.write(Data("bank signature OK (\(verified.signer.identity.subject)); RetCode \(code)\n".utf8))
            if code != RetCode.ok.rawValue { throw ExitCode(2) }
        } catch let rejection as MessageRejection {
            FileHandle.standardError.write(Data("bank response NOT verified: \(rejection)\n".utf8))
            throw ExitCode(3)
        }
    }
}

