internal import CLibXML2

/// Per-parse state shared with the SAX callbacks through `ctxt->_private`.
private final class ParseState {
    let limits: XMLLimits
    var depth = 0
    var elements = 0
    var violation: XMLError?

    init(limits: XMLLimits) {
        self.limits = limits
    }

    func stop(_ ctxt: xmlParserCtxtPtr, _ error: XMLError) {
        if violation == nil { violation = error }
        xmlStopParser(ctxt)
    }
}

private func state(of ctx: UnsafeMutableRawPointer?) -> (xmlParserCtxtPtr, ParseState)? {
    guard let ctx else { return nil }
    let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let raw = ctxt.pointee._private else { return nil }
    return (ctxt, Unmanaged<ParseState>.fromOpaque(raw).takeUnretainedValue())
}

/// The encodings an inbound message may declare. Everything else is refused before parsing.
let acceptedEncodings: Set<String> = ["UTF-8", "UTF8", "GBK", "GB18030", "GB2312", "US-ASCII", "ASCII"]

extension XMLDocument {
    /// Parses untrusted bytes with every hardening rule applied.
    ///
    /// Order of checks: size, leading bytes, declared encoding, then (while parsing) DOCTYPE, depth,
    /// attributes, element count, well-formedness, and finally text length and processing instructions.
    public static func parse(_ bytes: [UInt8], limits: XMLLimits = .default) throws(XMLError) -> XMLDocument {
        LibXML2.ensureInitialized()
        guard bytes.count <= limits.documentBytesMax else {
            throw XMLError(.documentTooLarge, "document is \(bytes.count) bytes; the limit is \(limits.documentBytesMax)")
        }
        try checkLeadingBytes(bytes)
        if let declared = declaredEncoding(in: bytes), !acceptedEncodings.contains(declared.uppercased()) {
            throw XMLError(.unsupportedEncoding, "encoding \"\(declared)\" is not accepted; use UTF-8, GBK or GB18030")
        }
        let doc = try runParser(bytes, limits: limits)
        let document = XMLDocument(owning: doc)
        try document.checkTree(limits: limits)
        return document
    }

    private static func runParser(_ bytes: [UInt8], limits: XMLLimits) throws(XMLError) -> xmlDocPtr {
        let parsed: Result<xmlDocPtr, XMLError> = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress,
                  let ctxt = base.withMemoryRebound(to: CChar.self, capacity: buffer.count, { xmlCreateMemoryParserCtxt($0, Int32(buffer.count)) })
            else {
                return .failure(XMLError(.internalError, "libxml2 could not create a parser context"))
            }
            defer { xmlFreeParserCtxt(ctxt) }
            let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
            xmlCtxtUseOptions(ctxt, options)
            let state = ParseState(limits: limits)
            let unmanaged = Unmanaged.passRetained(state)
            defer { unmanaged.release() }
            ctxt.pointee._private = unmanaged.toOpaque()
            installHardeningHandlers(ctxt)
            _ = xmlParseDocument(ctxt)
            let doc = ctxt.pointee.myDoc
            ctxt.pointee.myDoc = nil
            if let violation = state.violation {
                if let doc { xmlFreeDoc(doc) }
                return .failure(violation)
            }
            guard ctxt.pointee.wellFormed != 0, let doc else {
                if let doc { xmlFreeDoc(doc) }
                return .failure(lastParserError(ctxt))
            }
            return .success(doc)
        }
        return try parsed.get()
    }

    private static func lastParserError(_ ctxt: xmlParserCtxtPtr) -> XMLError {
        guard let error = xmlCtxtGetLastError(ctxt) else {
            return XMLError(.malformed, "the document is not well-formed XML")
        }
        let message = error.pointee.message.map { String(cString: $0).trimmingTrailingWhitespace() } ?? "not well-formed"
        let line = error.pointee.line > 0 ? Int(error.pointee.line) : nil
        if error.pointee.code == XML_ERR_UNSUPPORTED_ENCODING.rawValue {
            return XMLError(.unsupportedEncoding, message, line: line)
        }
        return XMLError(.malformed, message, line: line)
    }

    private static func installHardeningHandlers(_ ctxt: xmlParserCtxtPtr) {
        guard let sax = ctxt.pointee.sax else { return }
        sax.pointee.internalSubset = { ctx, name, _, _ in
            guard let (ctxt, state) = state(of: ctx) else { return }
            let root = String(xmlChars: name) ?? "?"
            state.stop(ctxt, XMLError(.doctype, "DOCTYPE \(root) is not accepted: no DTDs or entity declarations", line: Int(xmlSAX2GetLineNumber(ctx))))
        }
        sax.pointee.externalSubset = { ctx, _, _, _ in
            guard let (ctxt, state) = state(of: ctx) else { return }
            state.stop(ctxt, XMLError(.doctype, "external DTD subsets are not accepted"))
        }
        sax.pointee.entityDecl = { ctx, _, _, _, _, _ in
            guard let (ctxt, state) = state(of: ctx) else { return }
            state.stop(ctxt, XMLError(.doctype, "entity declarations are not accepted"))
        }
        sax.pointee.startElementNs = { ctx, localname, prefix, uri, nsCount, namespaces, attrCount, defaulted, attributes in
            guard let (ctxt, state) = state(of: ctx) else { return }
            let limits = state.limits
            let line = Int(xmlSAX2GetLineNumber(ctx))
            if state.depth >= limits.depthMax {
                state.stop(ctxt, XMLError(.depthExceeded, "nesting deeper than \(limits.depthMax) elements", line: line))
                return
            }
            if Int(nsCount) + Int(attrCount) > limits.attributesPerElementMax {
                let name = String(xmlChars: localname) ?? "?"
                state.stop(ctxt, XMLError(.tooManyAttributes, "<\(name)> has \(Int(nsCount) + Int(attrCount)) attributes and namespace declarations; the limit is \(limits.attributesPerElementMax)", line: line))
                return
            }
            if state.elements >= limits.elementsMax {
                state.stop(ctxt, XMLError(.tooManyElements, "more than \(limits.elementsMax) elements", line: line))
                return
            }
            state.depth += 1
            state.elements += 1
            xmlSAX2StartElementNs(ctx, localname, prefix, uri, nsCount, namespaces, attrCount, defaulted, attributes)
        }
        sax.pointee.endElementNs = { ctx, localname, prefix, uri in
            guard let (_, state) = state(of: ctx) else { return }
            state.depth -= 1
            xmlSAX2EndElementNs(ctx, localname, prefix, uri)
        }
    }

    /// The first bytes must be `<`, white space, or a UTF-8 byte-order mark: that refuses UTF-16/32 and binary early.
    private static func checkLeadingBytes(_ bytes: [UInt8]) throws(XMLError) {
        var index = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else {
            throw XMLError(.unsupportedEncoding, "the input does not start with '<' in UTF-8, GBK or GB18030")
        }
    }

    /// Reads `encoding="…"` from an XML declaration, if the input starts with one.
    static func declaredEncoding(in bytes: [UInt8]) -> String? {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        let prefix = Array("<?xml".utf8)
        guard bytes.count >= start + prefix.count, Array(bytes[start..<start + prefix.count]) == prefix else { return nil }
        let window = bytes[start..<min(bytes.count, start + 200)]
        guard let end = window.firstIndex(of: UInt8(ascii: ">")) else { return nil }
        let declaration = String(decoding: bytes[start..<end], as: UTF8.self)
        guard let found = declaration.firstRange(of: "encoding") else { return nil }
        let rest = declaration[found.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\t" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        let value = rest.dropFirst().prefix { $0 != quote }
        return String(value)
    }

    /// Walks the tree once for the checks the SAX layer cannot make: text length and processing instructions.
    private func checkTree(limits: XMLLimits) throws(XMLError) {
        var pending: [xmlNodePtr] = []
        var child = doc.pointee.children
        while let node = child { pending.append(node); child = node.pointee.next }
        while let node = pending.popLast() {
            switch node.pointee.type {
            case XML_PI_NODE:
                let name = String(xmlChars: node.pointee.name) ?? "?"
                throw XMLError(.processingInstruction, "processing instruction <?\(name)?> is not accepted", line: Int(xmlGetLineNo(node)))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = node.pointee.content, Int(xmlStrlen(content)) > limits.textBytesMax {
                    throw XMLError(.textTooLong, "a text node is longer than \(limits.textBytesMax) bytes", line: Int(xmlGetLineNo(node)), path: XMLElement.path(of: node.pointee.parent))
                }
            case XML_ELEMENT_NODE:
                var grandchild = node.pointee.children
                while let next = grandchild { pending.append(next); grandchild = next.pointee.next }
            default:
                break
            }
        }
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
