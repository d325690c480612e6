import ArgumentParser

/// The `directlink` command: one executable, one subcommand per job.
/// Subcommands live in `<Name>Command.swift` files beside this one.
@main
struct DirectLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directlink",
        abstract: "DirectLink: the bank–enterprise direct-link adapter.",
        subcommands: DirectLinkCommand.allSubcommands
    )

    /// The one list of subcommands; each file adds its own type here.
    static let allSubcommands: [any ParsableCommand.Type] = [
        ServeCommand.self,
        SendCommand.self,
        SignCommand.self,
        VerifyCommand.self,
        BenchCommand.self,
        AuditCommand.self,
        VersionCommand.self,
        EngineLoadCommand.self,
        ReplayCommand.self,
    ]
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version and the protocol version.")
    func run() {
        print("directlink 0.1.0 (protocol urn:directlink:1)")
    }
}
