import DirectLinkCrypto
import DirectLinkXML

/// A `ds:Signature` element that has passed every structural and algorithm rule of the profile.
/// Its fields say what still has to be checked with cryptography.
struct SignatureElement {
    let signedInfo: XMLElement
    let algorithm: SignatureAlgorithm
    let digestAlgorithm: DigestAlgorithm
    let digestValue: [UInt8]
    let signatureValue: [UInt8]
    /// DER certificates from KeyInfo/X509Data, in document order.
    let certificates: [[UInt8]]

    static let certificatesMax = 4

    /// Reads `signature` under the profile; the first failing rule decides the code.
    init(_ signature: XMLElement) throws(MessageRejection) {
        try Self.expectAttributes(signature, allowed: [])
        let (signedInfo, signatureValue, keyInfo) = try Self.expectChildren(signature, "SignedInfo", "SignatureValue", "KeyInfo")
        try Self.expectAttributes(signedInfo, allowed: [])
        let canonicalization: XMLElement, method: XMLElement, reference: XMLElement
        if let usual = Self.children(of: signedInfo, named: "CanonicalizationMethod", "SignatureMethod", "Reference") {
            (canonicalization, method, reference) = usual
        } else {
            (canonicalization, method, reference) = try Self.diagnoseSignedInfo(signedInfo)
        }
        try Self.checkCanonicalization(canonicalization)
        let algorithm = try Self.signatureMethod(method)
        let (digestAlgorithm, digestValue) = try Self.reference(reference)
        self.signedInfo = signedInfo
        self.algorithm = algorithm
        self.digestAlgorithm = digestAlgorithm
        self.digestValue = digestValue
        self.signatureValue = try Self.base64(signatureValue, code: .signatureValueFormat)
        self.certificates = try Self.keyInfo(keyInfo)
    }

    /// SignedInfo that is not the usual three children: the rule it breaks, or its parts when only the later checks
    /// can tell (the order of the checks is the profile's documented order).
    private static func diagnoseSignedInfo(_ signedInfo: XMLElement) throws(MessageRejection) -> (XMLElement, XMLElement, XMLElement) {
        let infoChildren = signedInfo.children
        guard infoChildren.count >= 3,
              infoChildren[0].isNamed("CanonicalizationMethod", in: Namespace.xmlDSig),
              infoChildren[1].isNamed("SignatureMethod", in: Namespace.xmlDSig),
              infoChildren.dropFirst(2).allSatisfy({ $0.isNamed("Reference", in: Namespace.xmlDSig) })
        else {
            throw MessageRejection(.signatureStructure, "SignedInfo must hold CanonicalizationMethod, SignatureMethod and Reference", path: signedInfo.path)
        }
        try checkCanonicalization(infoChildren[0])
        _ = try signatureMethod(infoChildren[1])
        let references = Array(infoChildren.dropFirst(2))
        guard references.count == 1 else {
            throw MessageRejection(.referenceRejected, "exactly one Reference is accepted (found \(references.count))", path: references[1].path)
        }
        return (infoChildren[0], infoChildren[1], references[0])
    }

    /// The three child elements of `element` when they are exactly `first`, `second`, `third` in the ds namespace,
    /// found in place; nil otherwise (the caller then diagnoses with the full rules).
    private static func children(of element: XMLElement, named first: String, _ second: String, _ third: String) -> (XMLElement, XMLElement, XMLElement)? {
        guard let a = element.firstChildElement, a.isNamed(first, in: Namespace.xmlDSig),
              let b = a.nextSiblingElement, b.isNamed(second, in: Namespace.xmlDSig),
              let c = b.nextSiblingElement, c.isNamed(third, in: Namespace.xmlDSig),
              c.nextSiblingElement == nil
        else { return nil }
        return (a, b, c)
    }

    private static func expectChildren(_ element: XMLElement, _ first: String, _ second: String, _ third: String) throws(MessageRejection) -> (XMLElement, XMLElement, XMLElement) {
        if let found = children(of: element, named: first, second, third) {
            if element.hasNonWhitespaceText {
                throw MessageRejection(.signatureStructure, "\(element.name) may contain only elements", path: element.path)
            }
            return found
        }
        // Not the expected children: say why, a foreign element first.
        let names = [first, second, third]
        let children = element.children
        if let stranger = children.first(where: { child in !names.contains { child.isNamed($0, in: Namespace.xmlDSig) } }) {
            throw MessageRejection(.signatureStructure, "\(stranger.name) is not accepted inside \(element.name) (no Object, Manifest or extensions)", path: stranger.path)
        }
        throw MessageRejection(.signatureStructure, "\(element.name) must contain \(names.joined(separator: ", ")) in this order", path: element.path)
    }

    /// The profile's usual case, checked in place: `element` carries only `Algorithm="expected"` and has no children
    /// elements. When this is false the caller's full check finds and names what is wrong.
    private static func hasOnlyAlgorithm(_ element: XMLElement, _ expected: String) -> Bool {
        element.attribute("Algorithm", equals: expected) && element.firstAttribute(notIn: ["Algorithm"]) == nil && !element.hasChildElements
    }

    private static func expectAttributes(_ element: XMLElement, allowed: [String]) throws(MessageRejection) {
        if let stranger = element.firstAttribute(notIn: allowed) {
            let code: RetCode = stranger == "Id" || stranger.hasSuffix(":Id") ? .referenceRejected : .signatureStructure
            throw MessageRejection(code, "attribute \(stranger) is not accepted on \(element.name) (no ID-based references)", path: element.path)
        }
    }

    private static func algorithmAttribute(_ element: XMLElement) throws(MessageRejection) -> String {
        try expectAttributes(element, allowed: ["Algorithm"])
        guard let algorithm = element.attribute("Algorithm") else {
            throw MessageRejection(.signatureStructure, "\(element.name) has no Algorithm", path: element.path)
        }
        return algorithm
    }

    private static func checkCanonicalization(_ element: XMLElement) throws(MessageRejection) {
        if hasOnlyAlgorithm(element, SignatureProfile.exclusiveC14N) { return }
        let algorithm = try algorithmAttribute(element)
        guard algorithm == SignatureProfile.exclusiveC14N else {
            let why = SignatureProfile.refusedMethods[algorithm] ?? "only exclusive canonicalization without comments is accepted"
            throw MessageRejection(.canonicalizationRejected, "\(algorithm): \(why)", path: element.path)
        }
        guard !element.hasChildElements else {
            throw MessageRejection(.canonicalizationRejected, "InclusiveNamespaces and other parameters are not accepted", path: element.path)
        }
    }

    private static func signatureMethod(_ element: XMLElement) throws(MessageRejection) -> SignatureAlgorithm {
        let uri = try algorithmAttribute(element)
        guard let algorithm = SignatureProfile.signatureMethods[uri] else {
            let why = SignatureProfile.refusedMethods[uri] ?? "not in the DirectLink profile"
            throw MessageRejection(.signatureAlgorithmRejected, "\(uri): \(why)", path: element.path)
        }
        guard !element.hasChildElements else {
            throw MessageRejection(.signatureAlgorithmRejected, "SignatureMethod parameters (HMACOutputLength…) are not accepted", path: element.path)
        }
        return algorithm
    }

    private static func reference(_ reference: XMLElement) throws(MessageRejection) -> (DigestAlgorithm, [UInt8]) {
        try expectAttributes(reference, allowed: ["URI"])
        guard let uri = reference.attribute("URI") else {
            throw MessageRejection(.referenceRejected, "Reference must have URI=\"\" (the whole message)", path: reference.path)
        }
        guard uri.isEmpty else {
            let what = uri.hasPrefix("#") ? "ID-based references are not accepted" : "external references are not accepted"
            throw MessageRejection(.referenceRejected, "Reference URI \"\(uri)\": \(what); use URI=\"\"", path: reference.path)
        }
        let (transforms, method, value) = try expectChildren(reference, "Transforms", "DigestMethod", "DigestValue")
        try checkTransforms(transforms)
        let digestURI = try algorithmAttribute(method)
        guard let digest = SignatureProfile.digestMethods[digestURI] else {
            let why = SignatureProfile.refusedMethods[digestURI] ?? "not in the DirectLink profile"
            throw MessageRejection(.digestAlgorithmRejected, "\(digestURI): \(why)", path: method.path)
        }
        guard !method.hasChildElements else {
            throw MessageRejection(.signatureStructure, "DigestMethod takes no parameters", path: method.path)
        }
        return (digest, try base64(value, code: .signatureStructure))
    }

    private static func checkTransforms(_ transforms: XMLElement) throws(MessageRejection) {
        try expectAttributes(transforms, allowed: [])
        // The profile's two transforms, checked in place.
        if let first = transforms.firstChildElement, first.isNamed("Transform", in: Namespace.xmlDSig),
           hasOnlyAlgorithm(first, SignatureProfile.envelopedSignature),
           let second = first.nextSiblingElement, second.isNamed("Transform", in: Namespace.xmlDSig),
           hasOnlyAlgorithm(second, SignatureProfile.exclusiveC14N), second.nextSiblingElement == nil {
            return
        }
        let list = transforms.children
        let expected = [SignatureProfile.envelopedSignature, SignatureProfile.exclusiveC14N]
        var uris: [String] = []
        for transform in list {
            guard transform.isNamed("Transform", in: Namespace.xmlDSig) else {
                throw MessageRejection(.transformRejected, "\(transform.name) is not accepted inside Transforms", path: transform.path)
            }
            let uri = try algorithmAttribute(transform)
            if let why = SignatureProfile.refusedMethods[uri] {
                throw MessageRejection(.transformRejected, "\(uri): \(why)", path: transform.path)
            }
            guard !transform.hasChildElements else {
                throw MessageRejection(.transformRejected, "transform parameters (XPath, InclusiveNamespaces…) are not accepted", path: transform.path)
            }
            uris.append(uri)
        }
        guard uris == expected else {
            throw MessageRejection(.transformRejected, "transforms must be exactly enveloped-signature then exc-c14n (found \(uris.joined(separator: ", ")))", path: transforms.path)
        }
    }

    private static func keyInfo(_ keyInfo: XMLElement) throws(MessageRejection) -> [[UInt8]] {
        try expectAttributes(keyInfo, allowed: [])
        guard let data = keyInfo.firstChildElement, data.isNamed("X509Data", in: Namespace.xmlDSig), data.nextSiblingElement == nil else {
            let found = keyInfo.children.map(\.name).joined(separator: ", ")
            throw MessageRejection(.keyInfoRejected, "KeyInfo must contain exactly one X509Data (found \(found.isEmpty ? "nothing" : found)); KeyValue, RetrievalMethod and KeyName are not accepted", path: keyInfo.path)
        }
        var certificates = 0
        var next = data.firstChildElement
        while let certificate = next {
            guard certificate.isNamed("X509Certificate", in: Namespace.xmlDSig) else {
                throw MessageRejection(.keyInfoRejected, "X509Data must contain X509Certificate elements only", path: data.path)
            }
            certificates += 1
            next = certificate.nextSiblingElement
        }
        guard certificates > 0 else {
            throw MessageRejection(.keyInfoRejected, "X509Data must contain X509Certificate elements only", path: data.path)
        }
        guard certificates <= certificatesMax else {
            throw MessageRejection(.keyInfoRejected, "at most \(certificatesMax) certificates are accepted in X509Data", path: data.path)
        }
        var result: [[UInt8]] = []
        result.reserveCapacity(certificates)
        next = data.firstChildElement
        while let certificate = next {
            result.append(try base64(certificate, code: .certificateMalformed))
            next = certificate.nextSiblingElement
        }
        return result
    }

    private static func base64(_ element: XMLElement, code: RetCode) throws(MessageRejection) -> [UInt8] {
        guard !element.hasChildElements, let bytes = element.withTextBytes({ Base64.decode($0) }), !bytes.isEmpty else {
            throw MessageRejection(code, "\(element.name) is not valid base64", path: element.path)
        }
        return bytes
    }
}
