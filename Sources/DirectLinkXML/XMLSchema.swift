internal import CLibXML2
import Synchronization

/// A compiled XSD. Compiled once; each validation borrows a context from a small pool (one thread at a time per
/// context), so one schema serves many threads without creating a context per message.
public final class XMLSchema: @unchecked Sendable {
    private let schema: xmlSchemaPtr
    private let idleContexts = Mutex<[ValidationContext]>([])
    private static let idleContextsMax = 16

    /// Compiles an XSD from memory. The schema may not import or include other files:
    /// the process-wide entity loader refuses every external load.
    public init(xsd bytes: [UInt8]) throws {
        LibXML2.ensureInitialized()
        let compiled: xmlSchemaPtr? = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                guard let parser = xmlSchemaNewMemParserCtxt(chars, Int32(buffer.count)) else { return nil }
                defer { xmlSchemaFreeParserCtxt(parser) }
                return xmlSchemaParse(parser)
            }
        }
        guard let compiled else {
            throw XMLError(.internalError, "the XSD does not compile")
        }
        schema = compiled
    }

    deinit {
        idleContexts.withLock { contexts in
            for context in contexts { xmlSchemaFreeValidCtxt(context.pointer) }
            contexts.removeAll()
        }
        xmlSchemaFree(schema)
    }

    private func borrowContext() -> ValidationContext? {
        if let idle = idleContexts.withLock({ $0.popLast() }) { return idle }
        return xmlSchemaNewValidCtxt(schema).map(ValidationContext.init)
    }

    private func returnContext(_ context: ValidationContext) {
        xmlSchemaSetValidStructuredErrors(context.pointer, nil, nil)
        let kept = idleContexts.withLock { contexts -> Bool in
            guard contexts.count < Self.idleContextsMax else { return false }
            contexts.append(context)
            return true
        }
        if !kept { xmlSchemaFreeValidCtxt(context.pointer) }
    }

    /// Validates `document` and throws `schemaInvalid` with the first error's line, element path and message.
    public func validate(_ document: XMLDocument) throws(XMLError) {
        guard let borrowed = borrowContext() else {
            throw XMLError(.internalError, "libxml2 could not create a validation context")
        }
        defer { returnContext(borrowed) }
        let context = borrowed.pointer
        let collector = ValidationErrors()
        let unmanaged = Unmanaged.passRetained(collector)
        defer { unmanaged.release() }
        xmlSchemaSetValidStructuredErrors(context, { user, error in
            guard let user, let error else { return }
            let collector = Unmanaged<ValidationErrors>.fromOpaque(user).takeUnretainedValue()
            guard collector.first == nil else { return }
            let message = error.pointee.message.map { String(cString: $0).trimmingTrailingWhitespace() } ?? "invalid"
            let node = error.pointee.node?.assumingMemoryBound(to: xmlNode.self)
            let path = node.flatMap { $0.pointee.type == XML_ELEMENT_NODE ? XMLElement.path(of: $0) : XMLElement.path(of: $0.pointee.parent) }
            collector.first = XMLError(.schemaInvalid, message, line: error.pointee.line > 0 ? Int(error.pointee.line) : nil, path: path)
        }, unmanaged.toOpaque())
        let status = xmlSchemaValidateDoc(context, document.doc)
        if status == 0 { return }
        throw collector.first ?? XMLError(.schemaInvalid, "the document does not conform to the schema")
    }
}

/// A libxml2 validation context, moved between threads only through the pool's lock.
private struct ValidationContext: @unchecked Sendable {
    let pointer: xmlSchemaValidCtxtPtr
}

private final class ValidationErrors {
    var first: XMLError?
}
