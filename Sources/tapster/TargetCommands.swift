import ArgumentParser
import TapsterClient
import TapsterCore

/// `tapster target …`: where tapped traffic goes.
struct TargetCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "target", abstract: "Manage targets (where tapped traffic goes).",
        subcommands: [ListCommand<Self>.self, GetCommand<Self>.self, Create.self, Update.self, DeleteCommand<Self>.self],
        aliases: ["targets"])
    static let collection = Resources.targets

    /// A target's name and spec, as flags: the same for create and update.
    struct SpecOptions: ParsableArguments {
        @Argument(help: "The target's name.") var name: String
        @Option(help: "Where packets go.") var kind: TargetKind
        @Option(help: "The tool's address (erspan, vxlan, gre).", transform: Parse.address) var destination: IPAddress?
        @Option(help: "ERSPAN type: 2 or 3 (default 2).") var erspanVersion: Int?
        @Option(help: "ERSPAN session id, 1–1023.") var sessionId: Int?
        @Option(help: "VXLAN network identifier.") var vni: Int?
        @Option(help: "VXLAN UDP port (default 4789).") var udpPort: Int?
        @Option(help: "GRE key.") var greKey: UInt32?
        @Option(help: "The interface (port) id a port target delivers into.") var portId: String?
        @Option(help: "How long a store target keeps captures, e.g. 7d.", transform: Parse.duration) var retention: TapDuration?
        @Option(help: "full, or headers:<snaplen> (64–9216).", transform: Parse.payload) var payload: Payload?
        @Option(help: "Per-tap, per-host limit, e.g. 100Mbps.", transform: Parse.bandwidth) var bandwidthCap: BandwidthCap?
        @OptionGroup var ownership: OwnershipOptions

        var spec: TargetSpec {
            TargetSpec(name: name, description: ownership.description, tenant: ownership.tenant, kind: kind,
                       destination: destination, erspanVersion: erspanVersion, sessionId: sessionId, vni: vni,
                       udpPort: udpPort, greKey: greKey, portId: portId, retention: retention, payload: payload,
                       bandwidthCap: bandwidthCap)
        }
    }

    /// `tapster target create NAME --kind …`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Create a target.")
        @OptionGroup var target: SpecOptions
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.create(Resources.targets, target.spec)
        }
    }

    /// `tapster target update NAME --kind …`: replaces the whole spec.
    struct Update: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a target's spec (give every setting, as for create).")
        @OptionGroup var target: SpecOptions
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.replace(Resources.targets, target.name, target.spec)
        }
    }
}
