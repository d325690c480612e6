internal import CLibXML2

extension XMLDocument {
    /// Exclusive XML Canonicalization 1.0 without comments (http://www.w3.org/2001/10/xml-exc-c14n#)
    /// of the whole document, leaving out `excluded` and everything below it: the enveloped-signature
    /// transform followed by exc-c14n, for a Reference with `URI=""`.
    public func exclusiveCanonicalization(excluding excluded: XMLElement) throws -> [UInt8] {
        if let bytes = SimpleCanonicalizer.canonicalize(document: doc, excluding: excluded.node, namespacesArePlain: namespacesArePlain) { return bytes }
        return try libxml2ExclusiveCanonicalization(excluding: excluded)
    }

    /// libxml2's exclusive canonicalization of the document without `excluded`, whatever its shape.
    func libxml2ExclusiveCanonicalization(excluding excluded: XMLElement) throws -> [UInt8] {
        try canonicalize(excluded.node, visible: CDirectLink_c14nOutsideSubtree)
    }

    /// Exclusive XML Canonicalization 1.0 without comments of `element`'s subtree (for `SignedInfo`).
    ///
    /// A subtree in the shape signatures and transaction bodies have — every element in one namespace under one
    /// prefix, attributes without namespace, only text and comments besides — is serialised directly
    /// (`SimpleCanonicalizer`); anything else goes through libxml2. Tests check both give the same bytes.
    public func exclusiveCanonicalization(of element: XMLElement) throws -> [UInt8] {
        if let bytes = SimpleCanonicalizer.canonicalize(element.node, namespacesArePlain: namespacesArePlain) { return bytes }
        return try libxml2ExclusiveCanonicalization(of: element)
    }

    /// The direct serialisation alone: nil when the shape needs libxml2 (for the equivalence tests).
    func simpleExclusiveCanonicalization(of element: XMLElement) -> [UInt8]? {
        SimpleCanonicalizer.canonicalize(element.node, namespacesArePlain: namespacesArePlain)
    }

    func simpleExclusiveCanonicalization(excluding excluded: XMLElement) -> [UInt8]? {
        SimpleCanonicalizer.canonicalize(document: doc, excluding: excluded.node, namespacesArePlain: namespacesArePlain)
    }

    /// libxml2's exclusive canonicalization of `element`'s subtree, whatever its shape.
    func libxml2ExclusiveCanonicalization(of element: XMLElement) throws -> [UInt8] {
        try canonicalize(element.node, visible: CDirectLink_c14nInsideSubtree)
    }

    /// Exclusive canonicalization of the whole document, without comments (what the signer digests): serialised
    /// directly when the document has the shape `SimpleCanonicalizer` takes, by libxml2 otherwise.
    public func exclusiveCanonicalization() throws -> [UInt8] {
        if let bytes = SimpleCanonicalizer.canonicalize(document: doc, excluding: nil, namespacesArePlain: namespacesArePlain) { return bytes }
        return try libxml2ExclusiveCanonicalization()
    }

    func simpleExclusiveCanonicalization() -> [UInt8]? {
        SimpleCanonicalizer.canonicalize(document: doc, excluding: nil, namespacesArePlain: namespacesArePlain)
    }

    /// libxml2's exclusive canonicalization of the whole document, whatever its shape.
    func libxml2ExclusiveCanonicalization() throws -> [UInt8] {
        guard let output = xmlAllocOutputBuffer(nil) else {
            throw XMLError(.internalError, "libxml2 could not allocate an output buffer")
        }
        let status = xmlC14NExecute(doc, nil, nil, Int32(XML_C14N_EXCLUSIVE_1_0.rawValue), nil, 0, output)
        return try collect(output, status: status)
    }

    private func canonicalize(_ node: xmlNodePtr, visible: xmlC14NIsVisibleCallback) throws -> [UInt8] {
        guard let output = xmlAllocOutputBuffer(nil) else {
            throw XMLError(.internalError, "libxml2 could not allocate an output buffer")
        }
        let status = withExtendedLifetime(self) {
            xmlC14NExecute(doc, visible, UnsafeMutableRawPointer(node), Int32(XML_C14N_EXCLUSIVE_1_0.rawValue), nil, 0, output)
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
