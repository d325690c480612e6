/// Every bound the hardened parser enforces. Units are last in each name.
public struct XMLLimits: Sendable, Equatable, Codable {
    public var documentBytesMax: Int
    public var depthMax: Int
    public var attributesPerElementMax: Int
    public var elementsMax: Int
    public var textBytesMax: Int

    public init(
        documentBytesMax: Int = 1 << 20,
        depthMax: Int = 24,
        attributesPerElementMax: Int = 16,
        elementsMax: Int = 100_000,
        textBytesMax: Int = 64 * 1024
    ) {
        self.documentBytesMax = documentBytesMax
        self.depthMax = depthMax
        self.attributesPerElementMax = attributesPerElementMax
        self.elementsMax = elementsMax
        self.textBytesMax = textBytesMax
    }

    public static let `default` = XMLLimits()

    /// Checks relationships between the limits; called when configuration is loaded.
    public func validated() throws -> XMLLimits {
        guard documentBytesMax > 0, depthMax > 2, attributesPerElementMax > 0, elementsMax > 2, textBytesMax > 0 else {
            throw XMLError(.internalError, "every XML limit must be positive (depthMax > 2, elementsMax > 2)")
        }
        guard textBytesMax <= documentBytesMax else {
            throw XMLError(.internalError, "textBytesMax (\(textBytesMax)) must not exceed documentBytesMax (\(documentBytesMax))")
        }
        return self
    }
}
