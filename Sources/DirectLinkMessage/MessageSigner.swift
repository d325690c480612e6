import DirectLinkCrypto
import DirectLinkXML
import Foundation

/// Signs messages under the DirectLink profile: the bank signs responses with it, clients and tests sign requests.
public struct MessageSigner: Sendable {
    public let key: PrivateKey
    public let certificate: Certificate
    /// Intermediates placed after the signer's certificate in KeyInfo.
    public let intermediates: [Certificate]

    /// Refuses a key that does not belong to the certificate: otherwise every signature would fail to verify and a
    /// misconfigured bank signer would send responses nobody can check.
    public init(key: PrivateKey, certificate: Certificate, intermediates: [Certificate] = []) throws {
        let methods = try SignatureProfile.methods(for: key.keyType)
        let probe = Array("DirectLink key/certificate pairing probe".utf8)
        do {
            try certificate.verify(signature: try key.sign(probe, algorithm: methods.algorithm), over: probe, algorithm: methods.algorithm)
        } catch {
            throw MessageRejection(.keyAlgorithmMismatch, "the private key does not belong to certificate \(certificate.subject)")
        }
        self.key = key
        self.certificate = certificate
        self.intermediates = intermediates
    }

    /// Loads a PEM key and a PEM certificate file (the certificate file may hold intermediates after the leaf).
    public init(keyPath: String, certificatePath: String) throws {
        let key = try PrivateKey(pem: try Self.read(keyPath))
        let certificates = try Certificate.loadPEMBundle(try Self.read(certificatePath))
        guard let leaf = certificates.first else {
            throw MessageRejection(.certificateMalformed, "\(certificatePath) holds no certificate")
        }
        try self.init(key: key, certificate: leaf, intermediates: Array(certificates.dropFirst()))
    }

    /// Parses `xml` with the hardened parser, appends an enveloped `ds:Signature` as the last child of `Message`
    /// and returns the document in its original encoding (UTF-8 when none was declared).
    public func signXML(_ xml: [UInt8], limits: XMLLimits = .default) throws -> [UInt8] {
        let document: XMLDocument
        do {
            document = try XMLDocument.parse(xml, limits: limits)
        } catch {
            throw MessageRejection(error)
        }
        _ = try Envelope.check(document.root, placement: .none)
        try appendSignature(to: document)
        return try document.serialized()
    }

    /// Signs an unsigned document in place (used to build responses).
    public func appendSignature(to document: XMLDocument) throws {
        let methods = try SignatureProfile.methods(for: key.keyType)
        let digest = try Digest.compute(methods.digestAlgorithm, try document.exclusiveCanonicalization())
        let root = document.root
        let signature = root.appendElement("Signature", namespaceURI: Namespace.xmlDSig, declaringPrefix: "ds")
        let signedInfo = signature.appendElement("SignedInfo", namespaceURI: Namespace.xmlDSig)
        signedInfo.appendElement("CanonicalizationMethod", namespaceURI: Namespace.xmlDSig)
            .setAttribute("Algorithm", SignatureProfile.exclusiveC14N)
        signedInfo.appendElement("SignatureMethod", namespaceURI: Namespace.xmlDSig)
            .setAttribute("Algorithm", methods.signature)
        let reference = signedInfo.appendElement("Reference", namespaceURI: Namespace.xmlDSig)
        reference.setAttribute("URI", "")
        let transforms = reference.appendElement("Transforms", namespaceURI: Namespace.xmlDSig)
        for algorithm in [SignatureProfile.envelopedSignature, SignatureProfile.exclusiveC14N] {
            transforms.appendElement("Transform", namespaceURI: Namespace.xmlDSig).setAttribute("Algorithm", algorithm)
        }
        reference.appendElement("DigestMethod", namespaceURI: Namespace.xmlDSig).setAttribute("Algorithm", methods.digest)
        reference.appendElement("DigestValue", namespaceURI: Namespace.xmlDSig, text: Base64.encode(digest))
        let value = signature.appendElement("SignatureValue", namespaceURI: Namespace.xmlDSig)
        let x509Data = signature.appendElement("KeyInfo", namespaceURI: Namespace.xmlDSig)
            .appendElement("X509Data", namespaceURI: Namespace.xmlDSig)
        for certificate in [certificate] + intermediates {
            x509Data.appendElement("X509Certificate", namespaceURI: Namespace.xmlDSig, text: Base64.encode(certificate.der))
        }
        let signedInfoBytes = try document.exclusiveCanonicalization(of: signedInfo)
        value.setText(Base64.encode(try key.sign(signedInfoBytes, algorithm: methods.algorithm)))
    }

    /// The CMS binding: PKCS#7 SignedData with `xml` attached, base64 with line breaks every 64 characters.
    public func signCMS(_ xml: [UInt8], limits: XMLLimits = .default) throws -> [UInt8] {
        do {
            _ = try Envelope.check(try XMLDocument.parse(xml, limits: limits).root, placement: .none)
        } catch let error as XMLError {
            throw MessageRejection(error)
        }
        let der = try CMS.sign(content: xml, key: key, certificate: certificate, extraCertificates: intermediates)
        return Array(Base64.encode(der, lineLength: 64).utf8)
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MessageRejection(.internalError, "cannot read \(path)")
        }
        return [UInt8](data)
    }
}
