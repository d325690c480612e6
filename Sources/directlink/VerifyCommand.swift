import ArgumentParser
import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify signed messages (XML-DSig or CMS, detected from the bytes).",
        discussion: """
        Prints one line per file: `OK <signer>` or `REJECT <code> <mnemonic>: <reason>`.
        Exits 0 only when every file verified. The envelope structure, signature profile, chain, key usage and
        CRLs are always checked; --validate adds XSD validation of the whole message.
        """
    )

    @Option(help: "Trusted CA bundle (PEM: roots and intermediates).") var trust: String
    @Option(help: "CRL file (PEM); repeat for several.") var crl: [String] = []
    @Flag(help: "Validate every message against Schemas/directlink-1.xsd.") var validate = false
    @Option(help: "XSD to validate against (default: the project's Schemas/directlink-1.xsd).") var schema: String?
    @Flag(help: "Print the verified payload (the exact signed bytes) after each OK line.") var show = false
    @Option(help: "Check validity at this time (ISO 8601) instead of now.") var at: String?
    @Argument(help: "Signed messages.") var files: [String]

    func run() throws {
        let store = try TrustStore(caBundlePath: trust, crlPaths: crl)
        let xsd = validate ? try XMLSchema(xsd: ResourceLocator.read(schema ?? ResourceLocator.path("Schemas/directlink-1.xsd"))) : nil
        let verifier = MessageVerifier(trust: store, schema: xsd)
        let time = try at.map(Self.parseTime) ?? Date()
        var failures = 0
        for file in files {
            do {
                let message = try verifier.verify(try ResourceLocator.read(file), at: time)
                let signer = message.signer.identity
                print("OK \(file) \(message.binding.rawValue) \(signer.keyType) subject=\"\(signer.subject)\" serial=\(signer.serialNumberHex) sha256=\(signer.fingerprintSHA256)")
                if show {
                    FileHandle.standardOutput.write(Data(message.signedBytes))
                    print()
                }
            } catch let rejection as MessageRejection {
                failures += 1
                print("REJECT \(file) \(rejection)")
            } catch {
                failures += 1
                print("REJECT \(file) \(error)")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    static func parseTime(_ text: String) throws -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else {
            throw ValidationError("--at needs an ISO 8601 time such as 2026-11-25T10:00:00+08:00")
        }
        return date
    }
}
