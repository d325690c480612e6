/// Big-endian writer for the on-disk formats.
struct ByteWriter {
    var buffer: [UInt8] = []

    init(capacity: Int = 0) { buffer.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { buffer.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) } }
    mutating func bytes(_ value: [UInt8]) { buffer.append(contentsOf: value) }
    mutating func bytes(_ value: String.UTF8View) { buffer.append(contentsOf: value) }
}

/// Big-endian reader; every read is bounds-checked and throws recordEncoding when the input is short.
struct ByteReader {
    private let data: ArraySlice<UInt8>
    private var position: Int

    init(_ data: ArraySlice<UInt8>) {
        self.data = data
        self.position = data.startIndex
    }

    var isAtEnd: Bool { position == data.endIndex }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, data.endIndex - position >= count else {
            throw AuditError(.recordEncoding, "record ends early: \(count) bytes wanted, \(data.endIndex - position) left")
        }
        defer { position += count }
        return data[position..<position + count]
    }

    mutating func u8() throws -> UInt8 { try take(1).first ?? 0 }
    mutating func u16() throws -> UInt16 { UInt16(try integer(2)) }
    mutating func u32() throws -> UInt32 { UInt32(try integer(4)) }
    mutating func u64() throws -> UInt64 { try integer(8) }

    private mutating func integer(_ width: Int) throws -> UInt64 {
        try take(width).reduce(0) { ($0 << 8) | UInt64($1) }
    }
}

/// Lowercase hex.
func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Parses lowercase or uppercase hex; nil on any other character or odd length.
func unhex(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(chars.count / 2)
    var index = 0
    while index < chars.count {
        guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
        out.append(high << 4 | low)
        index += 2
    }
    return out
}
