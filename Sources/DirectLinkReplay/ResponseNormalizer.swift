import DirectLinkXML

/// Turns a verified response into the text a golden file holds, so that two runs of the same scenario compare
/// equal and a real difference shows as a readable line diff.
///
/// The rule (documented in `Fixtures/README.md`):
/// 1. The bank's signature is checked first, then left out (`ds:Signature` is not printed: it is what the
///    enveloped-signature transform removes before digesting).
/// 2. The text of the volatile elements (`volatileElements`) becomes `{{Name}}`; the element itself stays, so
///    its presence and position are still compared.
/// 3. Values the replay generated for this run (fresh serials) become their placeholder (`{{step2.SerialNo}}`)
///    wherever they appear in text, so a message naming a serial still compares.
/// 4. One element per line, two-space indent, attributes sorted by name, text escaped (`&`, `<`, `>`, `"`).
///    The root carries its namespace as `xmlns`; elements in another namespace are written `{uri}Name`.
/// Everything else — RetCode, RetMsg, statuses, amounts, channels, ErrorPath, RuleId — is compared exactly.
public struct ResponseNormalizer: Sendable {
    public static let volatileElements: Set<String> = [
        "Timestamp", "ServerTime", "CorrelationId", "BankRef", "BookingTime", "ExpiresAt", "OrderDigest", "ContinuationToken",
    ]

    /// Generated value → placeholder, longest values first so no value replaces part of another.
    public var replacements: [(value: String, placeholder: String)]

    public init(replacements: [(value: String, placeholder: String)] = []) {
        self.replacements = replacements.filter { !$0.value.isEmpty }.sorted { $0.value.count > $1.value.count }
    }

    static let xmlDSig = "http://www.w3.org/2000/09/xmldsig#"

    public func text(of root: XMLElement) -> String {
        var lines: [String] = []
        append(root, depth: 0, parentNamespace: nil, to: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private func append(_ element: XMLElement, depth: Int, parentNamespace: String?, to lines: inout [String]) {
        let indent = String(repeating: "  ", count: depth)
        let namespace = element.namespaceURI
        var tag = element.name
        var attributes: [(String, String)] = element.attributeNames.sorted().map { ($0, element.attribute($0) ?? "") }
        if depth == 0, let namespace {
            attributes.insert(("xmlns", namespace), at: 0)
        } else if let namespace, namespace != parentNamespace {
            tag = "{\(namespace)}\(tag)"
        }
        let open = ([tag] + attributes.map { "\($0.0)=\"\(Self.escape(substitute($0.1)))\"" }).joined(separator: " ")
        let children = element.children
        if children.isEmpty {
            let text: String
            if Self.volatileElements.contains(element.name), !element.text.isEmpty {
                text = "{{\(element.name)}}"
            } else {
                text = Self.escape(substitute(element.text))
            }
            lines.append(text.isEmpty ? "\(indent)<\(open)/>" : "\(indent)<\(open)>\(text)</\(tag)>")
            return
        }
        lines.append("\(indent)<\(open)>")
        for child in children where !(depth == 0 && child.isNamed("Signature", in: Self.xmlDSig)) {
            append(child, depth: depth + 1, parentNamespace: namespace, to: &lines)
        }
        lines.append("\(indent)</\(tag)>")
    }

    private func substitute(_ text: String) -> String {
        var result = text
        for (value, placeholder) in replacements where result.contains(value) {
            result = result.replacingOccurrences(of: value, with: placeholder)
        }
        return result
    }

    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
