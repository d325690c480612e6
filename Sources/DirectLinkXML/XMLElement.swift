internal import CLibXML2

/// An element inside an `XMLDocument`. Holds the document alive; never outlives it.
public struct XMLElement: @unchecked Sendable {
    let node: xmlNodePtr
    public let document: XMLDocument

    init(node: xmlNodePtr, document: XMLDocument) {
        self.node = node
        self.document = document
    }

    /// The local name (no prefix).
    public var name: String {
        String(xmlChars: node.pointee.name) ?? ""
    }

    /// The namespace URI, or nil for an element in no namespace.
    public var namespaceURI: String? {
        String(xmlChars: node.pointee.ns?.pointee.href)
    }

    /// True when this element has local name `name` in namespace `namespaceURI`. Compares the C strings in place:
    /// this runs for every element the verifier looks at, so it allocates nothing.
    public func isNamed(_ name: String, in namespaceURI: String?) -> Bool {
        Self.node(node, isNamed: name, in: namespaceURI)
    }

    static func node(_ node: xmlNodePtr, isNamed name: String, in namespaceURI: String?) -> Bool {
        guard cString(node.pointee.name, equals: name) else { return false }
        guard let namespaceURI else { return node.pointee.ns == nil }
        guard let href = node.pointee.ns?.pointee.href else { return false }
        return cString(href, equals: namespaceURI)
    }

    /// Byte comparison of a NUL-terminated libxml2 string with a Swift string, without bridging the Swift
    /// string to a temporary C string (which allocates).
    static func cString(_ pointer: UnsafePointer<xmlChar>?, equals string: String) -> Bool {
        guard let pointer else { return false }
        var string = string
        return string.withUTF8 { utf8 in
            guard let expected = utf8.baseAddress else { return pointer.pointee == 0 }
            var index = 0
            while index < utf8.count {
                let byte = pointer[index]
                // Stop at the C string's end: a shorter name never reads past its NUL.
                if byte == 0 || byte != expected[index] { return false }
                index &+= 1
            }
            return pointer[index] == 0
        }
    }

    /// The 1-based line in the parsed input.
    public var line: Int {
        Int(xmlGetLineNo(node))
    }

    /// A readable path such as `/Message/Body/SinglePayment/Amount`, with `[n]` where siblings share a name.
    public var path: String {
        XMLElement.path(of: node) ?? "/"
    }

    /// Child elements in document order.
    public var children: [XMLElement] {
        var result: [XMLElement] = []
        var current = Self.element(atOrAfter: node.pointee.children)
        while let child = current {
            result.append(XMLElement(node: child, document: document))
            current = Self.element(atOrAfter: child.pointee.next)
        }
        return result
    }

    /// True when at least one child is an element (without building the `children` array).
    public var hasChildElements: Bool {
        Self.element(atOrAfter: node.pointee.children) != nil
    }

    /// True when the element has child nodes other than elements, comments or white-space-only text.
    public var hasNonWhitespaceText: Bool {
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_TEXT_NODE || current.pointee.type == XML_CDATA_SECTION_NODE, var byte = current.pointee.content {
                while byte.pointee != 0 {
                    switch byte.pointee {
                    case 0x20, 0x09, 0x0A, 0x0D: byte += 1
                    default: return true
                    }
                }
            }
            child = current.pointee.next
        }
        return false
    }

    /// The name of the first attribute not listed in `allowed`, or nil when every attribute is allowed.
    public func firstAttribute(notIn allowed: [String]) -> String? {
        var attribute = node.pointee.properties
        while let current = attribute {
            if !allowed.contains(where: { Self.cString(current.pointee.name, equals: $0) }) || current.pointee.ns != nil {
                let name = String(xmlChars: current.pointee.name) ?? ""
                guard let prefix = current.pointee.ns?.pointee.prefix else { return name }
                return (String(xmlChars: prefix) ?? "") + ":" + name
            }
            attribute = current.pointee.next
        }
        return nil
    }

    /// The first child element named `name` in `namespaceURI`.
    public func child(_ name: String, in namespaceURI: String?) -> XMLElement? {
        var current = Self.element(atOrAfter: node.pointee.children)
        while let candidate = current {
            if Self.node(candidate, isNamed: name, in: namespaceURI) { return XMLElement(node: candidate, document: document) }
            current = Self.element(atOrAfter: candidate.pointee.next)
        }
        return nil
    }

    /// The first child element, found in place (the verifier's hot path walks children this way, not through
    /// the `children` array).
    public var firstChildElement: XMLElement? {
        Self.element(atOrAfter: node.pointee.children).map { XMLElement(node: $0, document: document) }
    }

    /// The next sibling that is an element.
    public var nextSiblingElement: XMLElement? {
        Self.element(atOrAfter: node.pointee.next).map { XMLElement(node: $0, document: document) }
    }

    /// The number of child elements, counted in place.
    public var childElementCount: Int {
        var count = 0
        var current = Self.element(atOrAfter: node.pointee.children)
        while let candidate = current {
            count += 1
            current = Self.element(atOrAfter: candidate.pointee.next)
        }
        return count
    }

    /// `node` itself if it is an element, else its first following sibling that is one.
    private static func element(atOrAfter node: xmlNodePtr?) -> xmlNodePtr? {
        var current = node
        while let candidate = current {
            if candidate.pointee.type == XML_ELEMENT_NODE { return candidate }
            current = candidate.pointee.next
        }
        return nil
    }

    /// How many elements below this one are named `name` in `namespaceURI`, counted without building an array.
    public func countDescendants(named name: String, in namespaceURI: String?) -> Int {
        var count = 0
        forEachDescendant { if Self.node($0, isNamed: name, in: namespaceURI) { count += 1 } }
        return count
    }

    /// All elements below this one (not including it) in document order.
    public var descendants: [XMLElement] {
        descendants { _ in true }
    }

    /// The elements below this one named `name` in `namespaceURI`, in document order. Walks the tree without
    /// allocating for the elements that do not match.
    public func descendants(named name: String, in namespaceURI: String?) -> [XMLElement] {
        descendants { Self.node($0, isNamed: name, in: namespaceURI) }
    }

    private func descendants(where matches: (xmlNodePtr) -> Bool) -> [XMLElement] {
        var result: [XMLElement] = []
        forEachDescendant { if matches($0) { result.append(XMLElement(node: $0, document: document)) } }
        return result
    }

    /// Calls `body` for every element below this one, in document order.
    private func forEachDescendant(_ body: (xmlNodePtr) -> Void) {
        var current = node.pointee.children
        while let candidate = current {
            if candidate.pointee.type == XML_ELEMENT_NODE {
                body(candidate)
                if let child = candidate.pointee.children {
                    current = child
                    continue
                }
            }
            // Next sibling, or climb until an ancestor (below self) has one.
            var climb: xmlNodePtr? = candidate
            current = nil
            while let up = climb, up != node {
                if let sibling = up.pointee.next { current = sibling; break }
                climb = up.pointee.parent
            }
        }
    }

    /// The concatenated character data of this element's descendants; comments contribute nothing.
    public var text: String {
        // The common case, one text child: read it in place instead of having libxml2 copy it.
        if let only = node.pointee.children, only.pointee.next == nil, only.pointee.type == XML_TEXT_NODE {
            return String(xmlChars: only.pointee.content) ?? ""
        }
        guard let content = xmlNodeGetContent(node) else { return "" }
        defer { CDirectLink_xmlFree(content) }
        return String(cString: content)
    }

    /// The same character data as `text`, as UTF-8 bytes (for base64 values: no String in between).
    public var textBytes: [UInt8] {
        withTextBytes { Array($0) }
    }

    /// Calls `body` with the character data of this element's descendants as UTF-8 bytes, valid only during the
    /// call. The common case, one text child, is read in place; otherwise libxml2 concatenates into a temporary.
    public func withTextBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        if let only = node.pointee.children, only.pointee.next == nil, only.pointee.type == XML_TEXT_NODE, let content = only.pointee.content {
            return try body(UnsafeBufferPointer(start: content, count: Int(xmlStrlen(content))))
        }
        guard let content = xmlNodeGetContent(node) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        defer { CDirectLink_xmlFree(content) }
        return try body(UnsafeBufferPointer(start: content, count: Int(xmlStrlen(content))))
    }

    /// The value of the unqualified attribute `name`.
    public func attribute(_ name: String) -> String? {
        var attribute = node.pointee.properties
        while let current = attribute {
            if current.pointee.ns == nil, Self.cString(current.pointee.name, equals: name) {
                // An attribute's value is its text children (one, unless the value held character references).
                if let only = current.pointee.children, only.pointee.next == nil, only.pointee.type == XML_TEXT_NODE {
                    return String(xmlChars: only.pointee.content) ?? ""
                }
                guard let value = xmlNodeListGetString(node.pointee.doc, current.pointee.children, 1) else { return "" }
                defer { CDirectLink_xmlFree(value) }
                return String(cString: value)
            }
            attribute = current.pointee.next
        }
        return nil
    }

    /// True when the unqualified attribute `name` is present with exactly `value`, compared in place (no String is made
    /// from the attribute: the verifier checks every algorithm identifier of every message this way first).
    public func attribute(_ name: String, equals value: String) -> Bool {
        var attribute = node.pointee.properties
        while let current = attribute {
            if current.pointee.ns == nil, Self.cString(current.pointee.name, equals: name) {
                guard let only = current.pointee.children, only.pointee.next == nil, only.pointee.type == XML_TEXT_NODE else {
                    return self.attribute(name) == value
                }
                return Self.cString(only.pointee.content, equals: value)
            }
            attribute = current.pointee.next
        }
        return false
    }

    /// Names of every attribute on this element (namespace declarations are not attributes).
    public var attributeNames: [String] {
        var result: [String] = []
        var attribute = node.pointee.properties
        while let current = attribute {
            result.append(String(xmlChars: current.pointee.name) ?? "")
            attribute = current.pointee.next
        }
        return result
    }

    /// True for the same node.
    public func isSameNode(as other: XMLElement) -> Bool {
        node == other.node
    }

    static func path(of start: xmlNodePtr?) -> String? {
        var parts: [String] = []
        var current = start
        while let node = current, node.pointee.type == XML_ELEMENT_NODE {
            let name = String(xmlChars: node.pointee.name) ?? "?"
            var index = 1
            var sameNamed = 0
            var sibling = node.pointee.parent?.pointee.children
            while let candidate = sibling {
                if candidate.pointee.type == XML_ELEMENT_NODE, xmlStrEqual(candidate.pointee.name, node.pointee.name) != 0 {
                    sameNamed += 1
                    if candidate == node { index = sameNamed }
                }
                sibling = candidate.pointee.next
            }
            parts.append(sameNamed > 1 ? "\(name)[\(index)]" : name)
            current = node.pointee.parent
        }
        return parts.isEmpty ? nil : "/" + parts.reversed().joined(separator: "/")
    }
}

// MARK: - Building (used when signing and when the bank composes responses)

extension XMLElement {
    /// Appends a child element. With `prefix` and `namespaceURI` both set, the namespace is declared on the
    /// new element (used for `ds:Signature`); with `namespaceURI` alone the child inherits the parent's
    /// namespace object for that URI.
    @discardableResult
    public func appendElement(_ name: String, namespaceURI: String? = nil, declaringPrefix prefix: String? = nil, text: String? = nil) -> XMLElement {
        precondition(!document.isReadOnly, "a read-only (verified) document cannot be modified")
        guard let child = xmlNewDocNode(node.pointee.doc, nil, name, nil) else {
            preconditionFailure("libxml2 could not allocate an element (out of memory)")
        }
        xmlAddChild(node, child)
        if let namespaceURI {
            if let prefix {
                xmlSetNs(child, xmlNewNs(child, namespaceURI, prefix))
            } else {
                xmlSetNs(child, xmlSearchNsByHref(node.pointee.doc, node, namespaceURI))
            }
        }
        if let text {
            xmlNodeAddContent(child, text)
        }
        return XMLElement(node: child, document: document)
    }

    /// Sets an unqualified attribute.
    public func setAttribute(_ name: String, _ value: String) {
        precondition(!document.isReadOnly, "a read-only (verified) document cannot be modified")
        xmlSetProp(node, name, value)
    }

    /// Replaces all children with one text node.
    public func setText(_ text: String) {
        precondition(!document.isReadOnly, "a read-only (verified) document cannot be modified")
        // xmlNodeSetContent parses entities in its argument; escape first so the text is taken literally.
        guard let escaped = xmlEncodeSpecialChars(node.pointee.doc, text) else { return }
        defer { CDirectLink_xmlFree(escaped) }
        xmlNodeSetContent(node, escaped)
    }

    /// Unlinks and frees this element. The value must not be used afterwards.
    public func remove() {
        precondition(!document.isReadOnly, "a read-only (verified) document cannot be modified")
        xmlUnlinkNode(node)
        xmlFreeNode(node)
    }

    /// Appends white space before the closing tag, for readable output.
    public func appendWhitespace(_ text: String) {
        precondition(!document.isReadOnly, "a read-only (verified) document cannot be modified")
        if let textNode = xmlNewDocText(node.pointee.doc, text) {
            xmlAddChild(node, textNode)
        }
    }
}
