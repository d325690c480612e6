import ArgumentParser
import DirectLinkMessage
import Foundation

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign an XML message under the DirectLink profile and print it.",
        discussion: """
        The key type decides the algorithms: RSA → rsa-sha256, EC P-256 → ecdsa-sha256, SM2 → sm2-sm3.
        The ds:Signature is appended as the last child of Message; the output keeps the input's encoding.
        With --cms the output is base64 PKCS#7 SignedData with the XML attached instead.
        """
    )

    @Option(help: "Private key (PEM).") var key: String
    @Option(help: "Signer certificate (PEM); intermediates may follow it in the same file.") var cert: String
    @Flag(help: "Produce the CMS (PKCS#7) binding instead of XML-DSig.") var cms = false
    @Argument(help: "The unsigned message.") var input: String

    func run() throws {
        let signer = try MessageSigner(keyPath: key, certificatePath: cert)
        let xml = try ResourceLocator.read(input)
        let output = cms ? try signer.signCMS(xml) : try signer.signXML(xml)
        FileHandle.standardOutput.write(Data(output))
    }
}
