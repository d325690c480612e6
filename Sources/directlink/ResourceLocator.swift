import Foundation

/// Finds the project's data folders (`Schemas/`, `Fixtures/`, `conf/`) so that `directlink` works from a fresh
/// clone without options: first the current directory and its parents, then the executable's folder and its parents.
enum ResourceLocator {
    static func root() -> URL? {
        let fm = FileManager.default
        var starts = [URL(fileURLWithPath: fm.currentDirectoryPath)]
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        for start in starts {
            var candidate = start.standardizedFileURL
            for _ in 0..<6 {
                if fm.fileExists(atPath: candidate.appendingPathComponent("Schemas/directlink-1.xsd").path) {
                    return candidate
                }
                candidate.deleteLastPathComponent()
            }
        }
        return nil
    }

    /// The path of `relative` under the project root, or `relative` itself when no root is found.
    static func path(_ relative: String) -> String {
        root()?.appendingPathComponent(relative).path ?? relative
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read \(path)")
        }
        return [UInt8](data)
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
