/// JUnit XML for CI systems: one `testsuite` per scenario, one `testcase` per step, the diff as the failure text.
public enum JUnitReport {
    public static func xml(_ results: [ScenarioResult]) -> String {
        let steps = results.flatMap(\.steps)
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        lines.append("<testsuites name=\"directlink replay\" tests=\"\(steps.count)\" failures=\"\(steps.filter(\.failed).count)\" errors=\"0\" skipped=\"\(steps.filter(\.skipped).count)\" time=\"\(seconds(results.reduce(0) { $0 + $1.seconds }))\">")
        for result in results {
            lines.append("  <testsuite name=\"\(attribute(result.scenario))\" tests=\"\(result.steps.count)\" failures=\"\(result.steps.filter(\.failed).count)\" errors=\"0\" skipped=\"\(result.steps.filter(\.skipped).count)\" time=\"\(seconds(result.seconds))\">")
            lines.append("    <properties><property name=\"purpose\" value=\"\(attribute(result.purpose))\"/></properties>")
            for step in result.steps {
                let open = "    <testcase classname=\"\(attribute(result.scenario))\" name=\"\(attribute(step.name))\" time=\"\(seconds(step.seconds))\""
                switch step.outcome {
                case .passed, .updated:
                    lines.append(open + "/>")
                case .skipped(let reason):
                    lines.append(open + ">")
                    lines.append("      <skipped message=\"\(attribute(reason))\"/>")
                    lines.append("    </testcase>")
                case .failed(let message):
                    let first = message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? message
                    lines.append(open + ">")
                    lines.append("      <failure message=\"\(attribute(first))\" type=\"ReplayMismatch\">\(text(message))</failure>")
                    lines.append("    </testcase>")
                }
            }
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let fraction = millis % 1000
        return "\(millis / 1000).\(fraction < 10 ? "00" : fraction < 100 ? "0" : "")\(fraction)"
    }

    static func text(_ value: String) -> String {
        clean(value).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func attribute(_ value: String) -> String {
        text(value).replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "\n", with: "&#10;")
    }

    /// XML 1.0 cannot carry most control characters, even escaped.
    static func clean(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" || $0 == "\t" || $0 == "\r" }))
    }
}
