internal import CLibXML2

/// One-time process-wide libxml2 set-up: initialise the parser before any thread uses it and
/// replace the external entity loader with one that refuses everything, so that no input
/// (an `xsi:schemaLocation`, an `xi:include`, a DTD) can make libxml2 touch the network or the file system.
enum LibXML2 {
    static let initialized: Void = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
        // Silence libxml2's default printing to stderr; errors are collected per context.
        xmlSetStructuredErrorFunc(nil) { _, _ in }
    }()

    static func ensureInitialized() {
        _ = initialized
    }
}

extension String {
    /// Decodes a NUL-terminated libxml2 string (always UTF-8 inside libxml2).
    init?(xmlChars: UnsafePointer<xmlChar>?) {
        guard let xmlChars else { return nil }
        self = String(cString: xmlChars)
    }
}
