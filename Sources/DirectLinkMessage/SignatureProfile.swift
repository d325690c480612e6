import DirectLinkCrypto

/// The namespaces of protocol version 1.
public enum Namespace {
    public static let directLink = "urn:directlink:1"
    public static let xmlDSig = "http://www.w3.org/2000/09/xmldsig#"
}

/// DirectLink's one XML-DSig profile: the only algorithm identifiers it accepts or emits.
/// Anything not listed here is rejected; the well-known weak identifiers get their own reason.
/// Schemas/README.md §4 ("Signature bindings") is the reference for integrators.
public enum SignatureProfile {
    public static let exclusiveC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
    public static let envelopedSignature = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

    /// DigestMethod identifiers accepted, with the digest they name.
    public static let digestMethods: [String: DigestAlgorithm] = [
        "http://www.w3.org/2001/04/xmlenc#sha256": .sha256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384": .sha384,
        "http://www.w3.org/2001/04/xmlenc#sha512": .sha512,
        "http://www.w3.org/2000/09/xmldsig#sm3": .sm3,
    ]

    /// SignatureMethod identifiers accepted, with the algorithm they name.
    public static let signatureMethods: [String: SignatureAlgorithm] = [
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": .rsaPKCS1v15(.sha256),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": .rsaPKCS1v15(.sha384),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": .rsaPKCS1v15(.sha512),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": .ecdsaP256SHA256,
        "http://www.w3.org/2000/09/xmldsig#sm2-sm3": .sm2SM3,
    ]

    /// Identifiers that exist in the wild and are refused on purpose, with the reason given to the sender.
    public static let refusedMethods: [String: String] = [
        "http://www.w3.org/2000/09/xmldsig#sha1": "SHA-1 digests are not accepted",
        "http://www.w3.org/2001/04/xmldsig-more#md5": "MD5 digests are not accepted",
        "http://www.w3.org/2001/04/xmldsig-more#sha224": "SHA-224 digests are not accepted",
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1": "RSA with SHA-1 is not accepted",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5": "RSA with MD5 is not accepted",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha224": "RSA with SHA-224 is not accepted",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1": "DSA is not accepted",
        "http://www.w3.org/2009/xmldsig11#dsa-sha256": "DSA is not accepted",
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1": "HMAC (shared-secret) signatures are not accepted",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256": "HMAC (shared-secret) signatures are not accepted",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha384": "HMAC (shared-secret) signatures are not accepted",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": "HMAC (shared-secret) signatures are not accepted",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1": "ECDSA with SHA-1 is not accepted",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": "ECDSA is accepted on P-256 with SHA-256 only",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": "ECDSA is accepted on P-256 with SHA-256 only",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha224": "ECDSA is accepted on P-256 with SHA-256 only",
        "http://www.w3.org/2006/12/xml-c14n11": "only exclusive canonicalization is accepted",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": "only exclusive canonicalization is accepted",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": "canonicalization with comments is not accepted",
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": "canonicalization with comments is not accepted",
        "http://www.w3.org/TR/1999/REC-xpath-19991116": "XPath transforms are not accepted",
        "http://www.w3.org/2002/06/xmldsig-filter2": "XPath transforms are not accepted",
        "http://www.w3.org/TR/1999/REC-xslt-19991116": "XSLT transforms are not accepted",
        "http://www.w3.org/2000/09/xmldsig#base64": "base64 transforms are not accepted",
    ]

    /// The SignatureMethod and DigestMethod DirectLink emits for a key.
    public static func methods(for keyType: KeyType) throws(MessageRejection) -> (signature: String, digest: String, algorithm: SignatureAlgorithm, digestAlgorithm: DigestAlgorithm) {
        switch keyType {
        case .rsa(let bits) where bits >= 2048:
            return ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256", .rsaPKCS1v15(.sha256), .sha256)
        case .ecP256:
            return ("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256", .ecdsaP256SHA256, .sha256)
        case .sm2:
            return ("http://www.w3.org/2000/09/xmldsig#sm2-sm3", "http://www.w3.org/2000/09/xmldsig#sm3", .sm2SM3, .sm3)
        default:
            throw MessageRejection(.certificateKeyRejected, "key type \(keyType) cannot sign under the DirectLink profile (RSA ≥ 2048, EC P-256 or SM2)")
        }
    }
}
