import ArgumentParser

/// `directlink bench …`: throughput measurements, each printed beside the physical bound measured in the same run.
/// Build with `swift build -c release` first; debug builds are many times slower.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (run a release build).",
        subcommands: [BenchVerifyCommand.self, BenchEngineCommand.self, BenchLoadCommand.self]
    )
}
