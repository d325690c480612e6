internal import CLibXML2

/// A parsed XML document that owns its libxml2 tree.
///
/// Only `XMLDocument.parse` creates one from untrusted bytes, and it applies every hardening rule:
/// no DTD, no entities, no network, bounded bytes, depth, attributes, elements and text.
/// Reading a document from several threads is safe; the mutating methods (used when signing)
/// must run before the document is shared, which is why the type is `@unchecked Sendable`.
public final class XMLDocument: @unchecked Sendable {
    let doc: xmlDocPtr
    /// Parsed compactly for reading only; the building methods refuse to change it.
    public let isReadOnly: Bool

    /// For a read-only document, whether every namespace declaration is one `SimpleCanonicalizer` can write, found
    /// once at parse time (the verifier canonicalizes twice per message, and each would walk the whole tree for it);
    /// nil for a document that may still change.
    let namespacesArePlain: Bool?

    init(owning doc: xmlDocPtr, readOnly: Bool = false) {
        self.doc = doc
        self.isReadOnly = readOnly
        namespacesArePlain = readOnly ? SimpleCanonicalizer.namespaceDeclarationsArePlain(doc) : nil
    }

    deinit {
        xmlFreeDoc(doc)
    }

    /// The root element. A parsed document always has one.
    public var root: XMLElement {
        // libxml2 refuses a document without a root element as not well-formed, so parse() never
        // returns such a document; only a bug could get here.
        guard let node = xmlDocGetRootElement(doc) else {
            preconditionFailure("XMLDocument without a root element")
        }
        return XMLElement(node: node, document: self)
    }

    /// The encoding named in the XML declaration (`UTF-8`, `GBK`, …), or nil when none was declared.
    public var declaredEncoding: String? {
        String(xmlChars: doc.pointee.encoding)
    }

    /// Creates a new document whose root element is `name` in namespace `namespaceURI` (default namespace).
    public static func create(rootName: String, namespaceURI: String) -> XMLDocument {
        LibXML2.ensureInitialized()
        guard let doc = xmlNewDoc("1.0"), let node = xmlNewDocNode(doc, nil, rootName, nil) else {
            preconditionFailure("libxml2 could not allocate a document (out of memory)")
        }
        xmlDocSetRootElement(doc, node)
        let ns = xmlNewNs(node, namespaceURI, nil)
        xmlSetNs(node, ns)
        return XMLDocument(owning: doc)
    }

    /// Serialises the document with an XML declaration, in `encoding` (default: the declared one, else UTF-8).
    public func serialized(encoding: String? = nil) throws -> [UInt8] {
        let name = encoding ?? declaredEncoding ?? "UTF-8"
        var memory: UnsafeMutablePointer<xmlChar>?
        var length: Int32 = 0
        xmlDocDumpMemoryEnc(doc, &memory, &length, name)
        guard let memory, length > 0 else {
            throw XMLError(.internalError, "libxml2 could not serialise the document as \(name)")
        }
        defer { CDirectLink_xmlFree(memory) }
        return Array(UnsafeBufferPointer(start: memory, count: Int(length)))
    }
}
