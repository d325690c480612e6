internal import CLibXML2

private let xmlDeclarationStart: [UInt8] = Array("<?xml".utf8)
private let encodingKeyword: [UInt8] = Array("encoding".utf8)

/// The encodings an inbound message may declare. Everything else is refused before parsing.
let acceptedEncodings: Set<String> = ["UTF-8", "UTF8", "GBK", "GB18030", "GB2312", "US-ASCII", "ASCII"]

extension XMLDocument {
    /// Parses untrusted bytes with every hardening rule applied.
    ///
    /// Order of checks: size, leading bytes, declared encoding, then (while parsing) DOCTYPE, depth,
    /// attributes, element count, processing instructions, well-formedness, and finally text length.
    ///
    /// `readOnly` documents are stored compactly (libxml2's XML_PARSE_COMPACT keeps short text inside its node) and
    /// may not be modified afterwards: the verifier parses that way, since nothing changes a received message.
    public static func parse(_ bytes: [UInt8], limits: XMLLimits = .default, readOnly: Bool = false) throws(XMLError) -> XMLDocument {
        LibXML2.ensureInitialized()
        guard bytes.count <= limits.documentBytesMax else {
            throw XMLError(.documentTooLarge, "document is \(bytes.count) bytes; the limit is \(limits.documentBytesMax)")
        }
        try checkLeadingBytes(bytes)
        if let declared = declaredEncoding(in: bytes), !declared.isUTF8Name, !acceptedEncodings.contains(declared.uppercased()) {
            throw XMLError(.unsupportedEncoding, "encoding \"\(declared)\" is not accepted; use UTF-8, GBK or GB18030")
        }
        let doc = try runParser(bytes, limits: limits, compact: readOnly)
        let document = XMLDocument(owning: doc, readOnly: readOnly)
        // Processing instructions are refused while parsing. A text node is at most 1.5 times its bytes in the input
        // (a 2-byte GBK character becomes 3 bytes of UTF-8), so below that the text limit cannot be crossed.
        if bytes.count + bytes.count / 2 > limits.textBytesMax { try document.checkTree(limits: limits) }
        return document
    }

    private static func runParser(_ bytes: [UInt8], limits: XMLLimits, compact: Bool) throws(XMLError) -> xmlDocPtr {
        var guardState = CDirectLinkParseGuard()
        guardState.depthMax = Int32(clamping: limits.depthMax)
        guardState.attributesMax = Int32(clamping: limits.attributesPerElementMax)
        guardState.elementsMax = Int32(clamping: limits.elementsMax)
        let parsed: Result<xmlDocPtr, XMLError> = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress,
                  let ctxt = base.withMemoryRebound(to: CChar.self, capacity: buffer.count, { xmlCreateMemoryParserCtxt($0, Int32(buffer.count)) })
            else {
                return .failure(XMLError(.internalError, "libxml2 could not create a parser context"))
            }
            defer { xmlFreeParserCtxt(ctxt) }
            let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
                                 | (compact ? XML_PARSE_COMPACT.rawValue : 0))
            xmlCtxtUseOptions(ctxt, options)
            return withUnsafeMutablePointer(to: &guardState) { guardPointer -> Result<xmlDocPtr, XMLError> in
                CDirectLink_installGuard(ctxt, guardPointer)
                _ = xmlParseDocument(ctxt)
                ctxt.pointee._private = nil
                let doc = ctxt.pointee.myDoc
                ctxt.pointee.myDoc = nil
                if let violation = Self.violation(guardPointer.pointee, limits: limits) {
                    if let doc { xmlFreeDoc(doc) }
                    return .failure(violation)
                }
                guard ctxt.pointee.wellFormed != 0, let doc else {
                    if let doc { xmlFreeDoc(doc) }
                    return .failure(lastParserError(ctxt))
                }
                return .success(doc)
            }
        }
        return try parsed.get()
    }

    /// The error for the violation the C callbacks recorded, if any.
    private static func violation(_ state: CDirectLinkParseGuard, limits: XMLLimits) -> XMLError? {
        let line = Int(state.line)
        let name = withUnsafeBytes(of: state.name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch Int(state.violation) {
        case CDirectLink_violationNone:
            return nil
        case CDirectLink_violationDoctype:
            return XMLError(.doctype, "DOCTYPE \(name.isEmpty ? "?" : name) is not accepted: no DTDs or entity declarations", line: line)
        case CDirectLink_violationExternalSubset:
            return XMLError(.doctype, "external DTD subsets are not accepted")
        case CDirectLink_violationEntity:
            return XMLError(.doctype, "entity declarations are not accepted")
        case CDirectLink_violationDepth:
            return XMLError(.depthExceeded, "nesting deeper than \(limits.depthMax) elements", line: line)
        case CDirectLink_violationProcessingInstruction:
            return XMLError(.processingInstruction, "processing instruction <?\(name.isEmpty ? "?" : name)?> is not accepted", line: line)
        case CDirectLink_violationAttributes:
            return XMLError(.tooManyAttributes, "<\(name)> has \(state.count) attributes and namespace declarations; the limit is \(limits.attributesPerElementMax)", line: line)
        default:
            return XMLError(.tooManyElements, "more than \(limits.elementsMax) elements", line: line)
        }
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

    /// The first bytes must be `<`, white space, or a UTF-8 byte-order mark: that refuses UTF-16/32 and binary early.
    private static func checkLeadingBytes(_ bytes: [UInt8]) throws(XMLError) {
        var index = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else {
            throw XMLError(.unsupportedEncoding, "the input does not start with '<' in UTF-8, GBK or GB18030")
        }
    }

    /// Reads `encoding="…"` from an XML declaration, if the input starts with one. Scans bytes: this runs on every
    /// inbound message.
    static func declaredEncoding(in bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { buffer -> String? in
            var start = 0
            if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
            guard buffer.count >= start + xmlDeclarationStart.count,
                  buffer[start..<start + xmlDeclarationStart.count].elementsEqual(xmlDeclarationStart) else { return nil }
            let window = buffer[start..<min(buffer.count, start + 200)]
            guard let end = window.firstIndex(of: UInt8(ascii: ">")) else { return nil }
            let declaration = buffer[start..<end]
            var index = declaration.startIndex
            while index + encodingKeyword.count <= declaration.endIndex {
                if declaration[index..<index + encodingKeyword.count].elementsEqual(encodingKeyword) { break }
                index += 1
            }
            guard index + encodingKeyword.count <= declaration.endIndex else { return nil }
            index += encodingKeyword.count
            while index < declaration.endIndex, [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "=")].contains(declaration[index]) { index += 1 }
            guard index < declaration.endIndex, declaration[index] == UInt8(ascii: "\"") || declaration[index] == UInt8(ascii: "'") else {
                return nil
            }
            let quote = declaration[index]
            let valueStart = index + 1
            guard let valueEnd = declaration[valueStart...].firstIndex(of: quote) else { return nil }
            return String(decoding: declaration[valueStart..<valueEnd], as: UTF8.self)
        }
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
    /// "UTF-8" in any case, checked without building an uppercased copy (nearly every message declares it).
    var isUTF8Name: Bool {
        // Letters match in either case; '-' and '8' only exactly.
        utf8.count == 5 && utf8.elementsEqual("UTF-8".utf8, by: { $0 == $1 || ((0x41...0x5A).contains($1) && $0 == $1 | 0x20) })
    }

    func trimmingTrailingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
