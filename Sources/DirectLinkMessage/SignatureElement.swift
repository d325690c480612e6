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
        let parts = try Self.expectChildren(signature, ["SignedInfo", "SignatureValue", "KeyInfo"])
        let signedInfo = parts[0]
        try Self.expectAttributes(signedInfo, allowed: [])
        let infoChildren = signedInfo.children
        guard infoChildren.count >= 3,
              infoChildren[0].isNamed("CanonicalizationMethod", in: Namespace.xmlDSig),
              infoChildren[1].isNamed("SignatureMethod", in: Namespace.xmlDSig),
              infoChildren.dropFirst(2).allSatisfy({ $0.isNamed("Reference", in: Namespace.xmlDSig) })
        else {
            throw MessageRejection(.signatureStructure, "SignedInfo must hold CanonicalizationMethod, SignatureMethod and Reference", path: signedInfo.path)
        }
        try Self.checkCanonicalization(infoChildren[0])
        let algorithm = try Self.signatureMethod(infoChildren[1])
        let references = Array(infoChildren.dropFirst(2))
        guard references.count == 1 else {
            throw MessageRejection(.referenceRejected, "exactly one Reference is accepted (found \(references.count))", path: references[1].path)
        }
        let (digestAlgorithm, digestValue) = try Self.reference(references[0])
        self.signedInfo = signedInfo
        self.algorithm = algorithm
        self.digestAlgorithm = digestAlgorithm
        self.digestValue = digestValue
        self.signatureValue = try Self.base64(parts[1], code: .signatureValueFormat)
        self.certificates = try Self.keyInfo(parts[2])
    }

    private static func expectChildren(_ element: XMLElement, _ names: [String]) throws(MessageRejection) -> [XMLElement] {
        let children = element.children
        if children.count == names.count, zip(children, names).allSatisfy({ $0.isNamed($1, in: Namespace.xmlDSig) }) {
            if element.hasNonWhitespaceText {
                throw MessageRejection(.signatureStructure, "\(element.name) may contain only elements", path: element.path)
            }
            return children
        }
        // Not the expected children: say why, a foreign element first.
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
        let parts = try expectChildren(reference, ["Transforms", "DigestMethod", "DigestValue"])
        try checkTransforms(parts[0])
        let digestURI = try algorithmAttribute(parts[1])
        guard let digest = SignatureProfile.digestMethods[digestURI] else {
            let why = SignatureProfile.refusedMethods[digestURI] ?? "not in the DirectLink profile"
            throw MessageRejection(.digestAlgorithmRejected, "\(digestURI): \(why)", path: parts[1].path)
        }
        guard !parts[1].hasChildElements else {
            throw MessageRejection(.signatureStructure, "DigestMethod takes no parameters", path: parts[1].path)
        }
        return (digest, try base64(parts[2], code: .signatureStructure))
    }

    private static func checkTransforms(_ transforms: XMLElement) throws(MessageRejection) {
        try expectAttributes(transforms, allowed: [])
        let list = transforms.children
        let expected = [SignatureProfile.envelopedSignature, SignatureProfile.exclusiveC14N]
        if list.count == expected.count, zip(list, expected).allSatisfy({ $0.isNamed("Transform", in: Namespace.xmlDSig) && hasOnlyAlgorithm($0, $1) }) {
            return
        }
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
        let children = keyInfo.children
        guard children.count == 1, let data = children.first, data.isNamed("X509Data", in: Namespace.xmlDSig) else {
            let found = children.map(\.name).joined(separator: ", ")
            throw MessageRejection(.keyInfoRejected, "KeyInfo must contain exactly one X509Data (found \(found.isEmpty ? "nothing" : found)); KeyValue, RetrievalMethod and KeyName are not accepted", path: keyInfo.path)
        }
        let certificates = data.children
        guard !certificates.isEmpty, certificates.allSatisfy({ $0.isNamed("X509Certificate", in: Namespace.xmlDSig) }) else {
            throw MessageRejection(.keyInfoRejected, "X509Data must contain X509Certificate elements only", path: data.path)
        }
        guard certificates.count <= certificatesMax else {
            throw MessageRejection(.keyInfoRejected, "at most \(certificatesMax) certificates are accepted in X509Data", path: data.path)
        }
        var result: [[UInt8]] = []
        for certificate in certificates {
            result.append(try base64(certificate, code: .certificateMalformed))
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
