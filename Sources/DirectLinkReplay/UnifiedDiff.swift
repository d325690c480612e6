/// A small unified diff (longest common subsequence over lines), enough for golden files of a few hundred lines.
/// Inputs above `linesMax` lines each are compared as one changed block rather than with an O(n·m) table.
public enum UnifiedDiff {
    public static let linesMax = 4_000

    enum Edit: Equatable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// `nil` when equal; otherwise the headers and the hunks (at most `hunksMax`, then a note of how many more).
    public static func diff(expected: String, actual: String, expectedName: String, actualName: String,
                            context: Int = 3, hunksMax: Int = 1) -> String? {
        guard expected != actual else { return nil }
        let old = lines(expected)
        let new = lines(actual)
        let edits = editScript(old, new)
        let hunks = hunks(edits, context: context)
        var output = ["--- \(expectedName)", "+++ \(actualName)"]
        for hunk in hunks.prefix(hunksMax) { output += hunk }
        if hunks.count > hunksMax { output.append("(\(hunks.count - hunksMax) more differences)") }
        if hunks.isEmpty { output.append("(the files differ only in their line endings)") }
        return output.joined(separator: "\n")
    }

    static func lines(_ text: String) -> [String] {
        var result = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if result.last == "" { result.removeLast() }
        return result
    }

    static func editScript(_ old: [String], _ new: [String]) -> [Edit] {
        // Common prefix and suffix first: goldens usually differ in a line or two.
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix, old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        let a = Array(old[prefix..<(old.count - suffix)])
        let b = Array(new[prefix..<(new.count - suffix)])
        var middle: [Edit] = []
        if a.count > linesMax || b.count > linesMax {
            middle = a.map(Edit.removed) + b.map(Edit.added)
        } else {
            // table[i][j]: length of the LCS of a[i...] and b[j...].
            var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
            for i in stride(from: a.count - 1, through: 0, by: -1) {
                for j in stride(from: b.count - 1, through: 0, by: -1) {
                    table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
                }
            }
            var i = 0
            var j = 0
            while i < a.count || j < b.count {
                if i < a.count, j < b.count, a[i] == b[j] {
                    middle.append(.same(a[i])); i += 1; j += 1
                } else if j < b.count, i == a.count || table[i][j + 1] > table[i + 1][j] {
                    middle.append(.added(b[j])); j += 1
                } else {
                    middle.append(.removed(a[i])); i += 1
                }
            }
        }
        return old[..<prefix].map(Edit.same) + middle + old[(old.count - suffix)...].map(Edit.same)
    }

    /// Groups changes with `context` unchanged lines around them; each hunk starts with its `@@` header.
    static func hunks(_ edits: [Edit], context: Int) -> [[String]] {
        let changed = edits.indices.filter { if case .same = edits[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return [] }
        var ranges: [ClosedRange<Int>] = []
        for index in changed {
            let range = max(0, index - context)...min(edits.count - 1, index + context)
            if let last = ranges.last, range.lowerBound <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                ranges.append(range)
            }
        }
        // Line numbers (1-based) in the old and new text at each edit.
        var oldLine = [Int](repeating: 0, count: edits.count + 1)
        var newLine = [Int](repeating: 0, count: edits.count + 1)
        var o = 1
        var n = 1
        for (index, edit) in edits.enumerated() {
            oldLine[index] = o
            newLine[index] = n
            switch edit {
            case .same: o += 1; n += 1
            case .removed: o += 1
            case .added: n += 1
            }
        }
        return ranges.map { range in
            var oldCount = 0
            var newCount = 0
            var body: [String] = []
            for edit in edits[range] {
                switch edit {
                case .same(let line): body.append(" \(line)"); oldCount += 1; newCount += 1
                case .removed(let line): body.append("-\(line)"); oldCount += 1
                case .added(let line): body.append("+\(line)"); newCount += 1
                }
            }
            let header = "@@ -\(oldLine[range.lowerBound]),\(oldCount) +\(newLine[range.lowerBound]),\(newCount) @@"
            return [header] + body
        }
    }
}
