import ArgumentParser
import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkXML
import Foundation

/// Messages/s for hardened parse + XSD validation + signature and chain verification of one signed payment,
/// per key type, on one thread, beside OpenSSL's raw verify rate for the same key measured in the same run.
///
/// The two are measured in alternating slices (pipeline, raw, pipeline, raw, …) and each figure is the median over
/// the slices, with the ratio the median of the per-slice ratios: this VM's speed drifts by several percent within
/// seconds, and measuring one figure after the other made the ratio swing with that drift.
struct BenchVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verification throughput per key type beside the raw OpenSSL verify rate."
    )

    @Option(help: "Seconds to measure each figure (split into alternating slices).") var seconds: Double = 2
    @Option(help: "Seconds per slice.") var slice: Double = 0.25
    @Option(help: "Key types to measure: rsa, ec, sm2 (repeatable; default all).") var keyType: [String] = ["rsa", "ec", "sm2"]
    @Option(help: "Demo PKI folder.") var pki: String = ResourceLocator.path("Fixtures/pki")
    @Flag(help: "Also time each stage (parse, schema, canonicalization, digest) separately.") var breakdown = false
    @Option(help: "Payment message to sign and verify.") var message: String = ResourceLocator.path("Fixtures/messages/corpa/single-payment.xml")

    func validate() throws {
        guard seconds > 0, seconds.isFinite, slice > 0, slice.isFinite, seconds / slice <= 100_000 else {
            throw ValidationError("--seconds and --slice must be positive, with at most 100,000 slices")
        }
    }

    func run() throws {
        let store = try TrustStore(caBundlePath: "\(pki)/ca-bundle.pem", crlPaths: ["\(pki)/crls.pem"])
        let schema = try XMLSchema(xsd: ResourceLocator.read(ResourceLocator.path("Schemas/directlink-1.xsd")))
        let verifier = MessageVerifier(trust: store, schema: schema)
        let payload = try ResourceLocator.read(message)
        print("directlink bench verify: parse + XSD validation + XML-DSig + chain (cached) on one thread, \(seconds) s per figure in alternating \(slice) s slices (medians)")
        print(pad("key type", 10) + pad("bytes", 8) + pad("messages/s", 14) + pad("raw verify/s", 14) + "ratio")
        for type in keyType {
            let signer = try MessageSigner(keyPath: "\(pki)/corpa-maker-\(type).key", certificatePath: "\(pki)/corpa-maker-\(type).pem")
            let signed = try signer.signXML(payload)
            _ = try verifier.verify(signed)
            let methods = try SignatureProfile.methods(for: signer.key.keyType)
            let slices = max(1, Int((seconds / slice).rounded()))
            var rates: [Double] = [], raws: [Double] = [], ratios: [Double] = []
            for _ in 0..<slices {
                let rate = try Self.measure(seconds: slice) { _ = try verifier.verify(signed) }
                let raw = try RawCryptoBench.verifyRate(certificate: signer.certificate, key: signer.key, algorithm: methods.algorithm, seconds: slice)
                rates.append(rate)
                raws.append(raw)
                ratios.append(rate / raw)
            }
            let rate = BenchLoadCommand.median(rates), raw = BenchLoadCommand.median(raws)
            if breakdown { try printBreakdown(signed, schema: schema) }
            print(pad(type, 10) + pad("\(signed.count)", 8) + pad(String(format: "%.0f", rate), 14) + pad(String(format: "%.0f", raw), 14)
                  + String(format: "%.0f%%", 100 * BenchLoadCommand.median(ratios)))
        }
    }

    private func printBreakdown(_ signed: [UInt8], schema: XMLSchema) throws {
        let document = try XMLDocument.parse(signed, readOnly: true)
        guard let signature = document.root.children.last, let signedInfo = signature.children.first else { return }
        let canonical = try document.exclusiveCanonicalization(excluding: signature)
        let stages: [(String, () throws -> Void)] = [
            ("parse", { _ = try XMLDocument.parse(signed, readOnly: true) }),
            ("schema", { try schema.validate(document) }),
            ("c14n", { _ = try document.exclusiveCanonicalization(excluding: signature) }),
            ("c14n-si", { _ = try document.exclusiveCanonicalization(of: signedInfo) }),
            ("sha256", { _ = try Digest.compute(.sha256, canonical) }),
        ]
        for (name, body) in stages {
            let rate = try Self.measure(seconds: min(seconds, 0.5), body)
            print("  \(pad(name, 10)) \(String(format: "%.1f", 1e6 / rate)) µs")
        }
    }

    /// Runs `body` repeatedly for `seconds` and returns calls per second.
    static func measure(seconds: Double, _ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        var count = 0
        while clock.now < deadline {
            for _ in 0..<16 { try body() }
            count += 16
        }
        let elapsed = clock.now - start
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(count) / elapsedSeconds
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
