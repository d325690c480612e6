internal import CLibXML2

/// Exclusive XML Canonicalization 1.0 without comments for the one subtree shape the verifier canonicalizes on every
/// message (`SignedInfo`, a transaction body): every element in the same namespace under the same prefix as the
/// subtree's root, attributes in no namespace, and only text, CDATA and comments besides. For that shape the
/// specification reduces to: the root renders its one namespace declaration, nothing below re-declares it,
/// attributes are sorted by name, text and attribute values are escaped, comments are dropped.
///
/// The same holds for a whole message without its `ds:Signature` (the enveloped-signature transform), which is
/// the root element's subtree minus that one element: outside the root there is nothing but comments, since the
/// parser refuses DTDs and processing instructions; and for a whole unsigned document, parsed or built in memory,
/// which the signer digests (requests in tests and `directlink sign`, every response of the daemon).
///
/// `canonicalize` returns nil for any other shape, and the caller falls back to libxml2. This exists because
/// libxml2 decides visibility node by node over the whole document, which costs as much as canonicalizing the
/// whole message again; the equivalence with libxml2 is tested on every shape the fast path accepts.
enum SimpleCanonicalizer {
    /// The canonical form of `root`'s subtree, leaving out `excluded` (a descendant) and everything below it.
    /// `namespacesArePlain` is `namespaceDeclarationsArePlain` of the document when the caller already knows it.
    static func canonicalize(_ root: xmlNodePtr, excluding excluded: xmlNodePtr? = nil, namespacesArePlain: Bool? = nil) -> [UInt8]? {
        guard root.pointee.type == XML_ELEMENT_NODE, let ns = root.pointee.ns, let href = ns.pointee.href, href.pointee != 0,
              isPlainAbsoluteURI(href), let doc = root.pointee.doc, namespacesArePlain ?? namespaceDeclarationsArePlain(doc) else {
            return nil
        }
        var writer = Writer(prefix: ns.pointee.prefix, href: href, excluded: excluded)
        writer.out.reserveCapacity(4096)
        guard writer.element(root, isApex: true) else { return nil }
        return writer.out
    }

    /// The canonical form of the whole document without `excluded` (if any), when the document holds nothing but the
    /// root element and comments at the top level.
    static func canonicalize(document doc: xmlDocPtr, excluding excluded: xmlNodePtr?, namespacesArePlain: Bool? = nil) -> [UInt8]? {
        var root: xmlNodePtr?
        var child = doc.pointee.children
        while let current = child {
            switch current.pointee.type {
            case XML_ELEMENT_NODE: root = current
            case XML_COMMENT_NODE: break
            default: return nil
            }
            child = current.pointee.next
        }
        guard let root, root != excluded else { return nil }
        return canonicalize(root, excluding: excluded, namespacesArePlain: namespacesArePlain)
    }

    /// libxml2 refuses to canonicalize a document that declares a relative namespace URI anywhere (C14N 1.0 leaves
    /// them undefined), and writes namespace URIs as stored. The direct path therefore takes only documents whose every
    /// declaration is an absolute URI made of characters that need no escaping; anything else goes to libxml2, which
    /// decides as before.
    static func namespaceDeclarationsArePlain(_ doc: xmlDocPtr) -> Bool {
        var current = doc.pointee.children
        while let node = current {
            if node.pointee.type == XML_ELEMENT_NODE {
                var declaration = node.pointee.nsDef
                while let ns = declaration {
                    if let href = ns.pointee.href, href.pointee != 0, !isPlainAbsoluteURI(href) { return false }
                    declaration = ns.pointee.next
                }
                if let child = node.pointee.children {
                    current = child
                    continue
                }
            }
            // Next sibling, or climb until an ancestor has one.
            var climb: xmlNodePtr? = node
            current = nil
            while let up = climb, up.pointee.type != XML_DOCUMENT_NODE {
                if let sibling = up.pointee.next { current = sibling; break }
                climb = up.pointee.parent
            }
        }
        return true
    }

    /// `scheme ":" rest`, the scheme an RFC 3986 scheme, the rest only unreserved and reserved characters (no `%`,
    /// quotes, `&`, `<`, white space or non-ASCII).
    static func isPlainAbsoluteURI(_ href: UnsafePointer<xmlChar>) -> Bool {
        func isAlpha(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        guard isAlpha(href.pointee) else { return false }
        var pointer = href + 1
        while isAlpha(pointer.pointee) || isDigit(pointer.pointee) || pointer.pointee == UInt8(ascii: "+")
                || pointer.pointee == UInt8(ascii: "-") || pointer.pointee == UInt8(ascii: ".") {
            pointer += 1
        }
        guard pointer.pointee == UInt8(ascii: ":") else { return false }
        pointer += 1
        while pointer.pointee != 0 {
            let byte = pointer.pointee
            guard isAlpha(byte) || isDigit(byte) || isUnreservedOrReservedMark(byte) else { return false }
            pointer += 1
        }
        return true
    }

    /// `-._~:/?#[]@!$'()*+,;=`: RFC 3986's unreserved and reserved characters other than letters and digits.
    private static func isUnreservedOrReservedMark(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "/"),
             UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "@"), UInt8(ascii: "!"),
             UInt8(ascii: "$"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }

    private struct Writer {
        let prefix: UnsafePointer<xmlChar>?
        let href: UnsafePointer<xmlChar>
        let excluded: xmlNodePtr?
        var out: [UInt8] = []
        var depth = 0

        init(prefix: UnsafePointer<xmlChar>?, href: UnsafePointer<xmlChar>, excluded: xmlNodePtr?) {
            self.prefix = prefix
            self.href = href
            self.excluded = excluded
        }

        /// Same prefix (or both default) and same namespace URI as the subtree's root.
        func inSubtreeNamespace(_ node: xmlNodePtr) -> Bool {
            guard let ns = node.pointee.ns, let nodeHref = ns.pointee.href, xmlStrEqual(nodeHref, href) != 0 else { return false }
            switch (ns.pointee.prefix, prefix) {
            case (nil, nil): return true
            case let (a?, b?): return xmlStrEqual(a, b) != 0
            default: return false
            }
        }

        mutating func element(_ node: xmlNodePtr, isApex: Bool) -> Bool {
            guard inSubtreeNamespace(node), depth < 64 else { return false }
            out.append(UInt8(ascii: "<"))
            qualifiedName(node)
            if isApex {
                if let prefix {
                    append(" xmlns:")
                    append(prefix)
                } else {
                    append(" xmlns")
                }
                append("=\"")
                escapeAttribute(href)
                out.append(UInt8(ascii: "\""))
            }
            guard attributes(node) else { return false }
            out.append(UInt8(ascii: ">"))
            depth += 1
            var child = node.pointee.children
            while let current = child {
                switch current.pointee.type {
                case XML_ELEMENT_NODE:
                    if current != excluded {
                        guard element(current, isApex: false) else { return false }
                    }
                case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                    if let content = current.pointee.content { escapeText(content) }
                case XML_COMMENT_NODE:
                    break
                default:
                    return false
                }
                child = current.pointee.next
            }
            depth -= 1
            append("</")
            qualifiedName(node)
            out.append(UInt8(ascii: ">"))
            return true
        }

        private mutating func qualifiedName(_ node: xmlNodePtr) {
            if let prefix {
                append(prefix)
                out.append(UInt8(ascii: ":"))
            }
            append(node.pointee.name)
        }

        /// Attributes in no namespace, in order of name (code point order = UTF-8 byte order).
        private mutating func attributes(_ node: xmlNodePtr) -> Bool {
            guard let first = node.pointee.properties else { return true }
            guard first.pointee.next != nil else { return attribute(first) }
            var list: [xmlAttrPtr] = []
            var attribute = node.pointee.properties
            while let current = attribute {
                list.append(current)
                attribute = current.pointee.next
            }
            list.sort { xmlStrcmp($0.pointee.name, $1.pointee.name) < 0 }
            for current in list {
                guard self.attribute(current) else { return false }
            }
            return true
        }

        private mutating func attribute(_ current: xmlAttrPtr) -> Bool {
            guard current.pointee.ns == nil, current.pointee.type == XML_ATTRIBUTE_NODE else { return false }
            out.append(UInt8(ascii: " "))
            append(current.pointee.name)
            append("=\"")
            var valueNode = current.pointee.children
            while let text = valueNode {
                guard text.pointee.type == XML_TEXT_NODE else { return false }
                if let content = text.pointee.content { escapeAttribute(content) }
                valueNode = text.pointee.next
            }
            out.append(UInt8(ascii: "\""))
            return true
        }

        private mutating func append(_ text: StaticString) {
            text.withUTF8Buffer { out.append(contentsOf: $0) }
        }

        private mutating func append(_ string: UnsafePointer<xmlChar>?) {
            guard let string else { return }
            out.append(contentsOf: UnsafeBufferPointer(start: string, count: Int(xmlStrlen(string))))
        }

        /// Text nodes: `&`, `<`, `>` and CR are escaped; runs without them are copied in one go.
        /// (`escapeText` and `escapeAttribute` are two loops on purpose: one loop taking the escape table as a closure
        /// measured ~0.4 µs slower per verified message, on the hottest path the verifier has.)
        private mutating func escapeText(_ string: UnsafePointer<xmlChar>) {
            var runStart = string
            var pointer = string
            while true {
                let byte = pointer.pointee
                if byte == 0 || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == 0x0D {
                    if pointer > runStart { out.append(contentsOf: UnsafeBufferPointer(start: runStart, count: pointer - runStart)) }
                    switch byte {
                    case 0: return
                    case UInt8(ascii: "&"): append("&amp;")
                    case UInt8(ascii: "<"): append("&lt;")
                    case UInt8(ascii: ">"): append("&gt;")
                    default: append("&#xD;")
                    }
                    runStart = pointer + 1
                }
                pointer += 1
            }
        }

        /// Attribute values: `&`, `<`, `"`, TAB, LF and CR are escaped; runs without them are copied in one go.
        private mutating func escapeAttribute(_ string: UnsafePointer<xmlChar>) {
            var runStart = string
            var pointer = string
            while true {
                let byte = pointer.pointee
                if byte == 0 || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "\"") || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                    if pointer > runStart { out.append(contentsOf: UnsafeBufferPointer(start: runStart, count: pointer - runStart)) }
                    switch byte {
                    case 0: return
                    case UInt8(ascii: "&"): append("&amp;")
                    case UInt8(ascii: "<"): append("&lt;")
                    case UInt8(ascii: "\""): append("&quot;")
                    case 0x09: append("&#x9;")
                    case 0x0A: append("&#xA;")
                    default: append("&#xD;")
                    }
                    runStart = pointer + 1
                }
                pointer += 1
            }
        }
    }
}
