import Foundation
import Testing
@testable import DirectLinkCrypto

/// The committed demo PKI (Fixtures/pki), located from this file so tests run from any directory.
enum PKI {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pki")

    static func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
    }

    static func certificate(_ name: String) throws -> Certificate { try Certificate(pem: bytes("\(name).pem")) }
    static func key(_ name: String) throws -> PrivateKey { try PrivateKey(pem: bytes("\(name).key")) }

    /// A fresh store (fresh cache) with the bundle and both CRLs.
    static func trustStore(withCRLs: Bool = true) throws -> TrustStore {
        try TrustStore(caCertificates: Certificate.loadPEMBundle(bytes("ca-bundle.pem")),
                       crlPEMs: withCRLs ? [bytes("crls.pem")] : [])
    }

    static let corpAName = "华东精密机械有限公司"
    static let corpBName = "青山村股份经济合作社"
}

/// Runs the real `openssl` CLI for interoperability checks.
enum OpenSSLCLI {
    struct Result { let status: Int32; let output: String }

    static func run(_ arguments: [String], input: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

/// A temporary directory removed after `body`.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("directlink-crypto-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

extension URL {
    func write(_ bytes: [UInt8]) throws { try Data(bytes).write(to: self) }
    func readBytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: self)) }
}

/// The code of the CryptoError `body` throws, or nil if it does not throw one.
func cryptoErrorCode(_ body: () throws -> Void) -> CryptoError.Code? {
    do {
        try body()
        return nil
    } catch let error as CryptoError {
        return error.code
    } catch {
        return nil
    }
}
