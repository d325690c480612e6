internal import CLibXML2

/// What the visibility callback needs: the subtree to include or exclude.
private final class C14NSelection {
    let node: xmlNodePtr
    let includeOnlySubtree: Bool

    init(node: xmlNodePtr, includeOnlySubtree: Bool) {
        self.node = node
        self.includeOnlySubtree = includeOnlySubtree
    }
}

/// libxml2 hands namespace nodes (`xmlNs`) to the callback through an `xmlNode` pointer; both structs keep
/// their `type` field at the same offset, which libxml2 itself relies on. Read only that field.
private let nodeTypeOffset = MemoryLayout<xmlNode>.offset(of: \xmlNode.type) ?? MemoryLayout<UnsafeRawPointer>.size

private func isVisible(_ user: UnsafeMutableRawPointer?, _ node: xmlNodePtr?, _ parent: xmlNodePtr?) -> Int32 {
    guard let user, let node else { return 0 }
    let selection = Unmanaged<C14NSelection>.fromOpaque(user).takeUnretainedValue()
    let type = UnsafeRawPointer(node).load(fromByteOffset: nodeTypeOffset, as: xmlElementType.self)
    var current: xmlNodePtr? = type == XML_NAMESPACE_DECL ? parent : node
    var inside = false
    while let candidate = current {
        if candidate == selection.node { inside = true; break }
        // Attributes have the element as parent; documents end the walk.
        current = candidate.pointee.parent
    }
    return (inside == selection.includeOnlySubtree) ? 1 : 0
}

extension XMLDocument {
    /// Exclusive XML Canonicalization 1.0 without comments (http://www.w3.org/2001/10/xml-exc-c14n#)
    /// of the whole document, leaving out `excluded` and everything below it: the enveloped-signature
    /// transform followed by exc-c14n, for a Reference with `URI=""`.
    public func exclusiveCanonicalization(excluding excluded: XMLElement) throws -> [UInt8] {
        try canonicalize(C14NSelection(node: excluded.node, includeOnlySubtree: false))
    }

    /// Exclusive XML Canonicalization 1.0 without comments of `element`'s subtree (for `SignedInfo`).
    public func exclusiveCanonicalization(of element: XMLElement) throws -> [UInt8] {
        try canonicalize(C14NSelection(node: element.node, includeOnlySubtree: true))
    }

    /// Exclusive canonicalization of the whole document, without comments.
    public func exclusiveCanonicalization() throws -> [UInt8] {
        guard let output = xmlAllocOutputBuffer(nil) else {
            throw XMLError(.internalError, "libxml2 could not allocate an output buffer")
        }
        let status = xmlC14NExecute(doc, nil, nil, Int32(XML_C14N_EXCLUSIVE_1_0.rawValue), nil, 0, output)
        return try collect(output, status: status)
    }

    private func canonicalize(_ selection: C14NSelection) throws -> [UInt8] {
        guard let output = xmlAllocOutputBuffer(nil) else {
            throw XMLError(.internalError, "libxml2 could not allocate an output buffer")
        }
        let status = withExtendedLifetime(selection) {
            xmlC14NExecute(doc, isVisible, Unmanaged.passUnretained(selection).toOpaque(),
                           Int32(XML_C14N_EXCLUSIVE_1_0.rawValue), nil, 0, output)
        }
        return try collect(output, status: status)
    }

    private func collect(_ output: xmlOutputBufferPtr, status: Int32) throws -> [UInt8] {
        defer { xmlOutputBufferClose(output) }
        guard status >= 0 else {
            throw XMLError(.internalError, "canonicalization failed")
        }
        let size = Int(xmlOutputBufferGetSize(output))
        guard let content = xmlOutputBufferGetContent(output) else { return [] }
        return Array(UnsafeBufferPointer(start: content, count: size))
    }
}
