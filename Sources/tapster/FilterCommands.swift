import ArgumentParser
import TapsterClient
import TapsterCore

/// `tapster filter …`: which traffic is tapped.
struct FilterCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "filter", abstract: "Manage filters (which traffic is tapped).",
        subcommands: [ListCommand<Self>.self, GetCommand<Self>.self, Create.self, Update.self, DeleteCommand<Self>.self,
                      Workloads.self, Preview.self],
        aliases: ["filters"])
    static let collection = Resources.filters

    /// The traffic a filter selects, as flags: for create, update and preview.
    struct SelectionOptions: ParsableArguments {
        @Option(help: "Label selector of the tapped workloads, e.g. 'app=web,tier in (front,edge)'.", transform: Parse.selector)
        var selector: LabelSelector
        @Option(help: "Only traffic with workloads matching this selector, e.g. 'app=db'.", transform: Parse.selector)
        var peerSelector: LabelSelector?
        @Option(help: "A libpcap filter expression.") var bpf: String?
        @Option(name: .customLong("rule"), help: "A 5-tuple rule such as 'tcp,net=10.0.0.0/8,port=5432' (repeat: OR-ed).", transform: Parse.rule)
        var rules: [FlowRule] = []
        @Option(help: "Which way (default both).") var direction: Direction?

        func spec(name: String, ownership: OwnershipOptions?) -> FilterSpec {
            FilterSpec(name: name, description: ownership?.description, tenant: ownership?.tenant, selector: selector,
                       peerSelector: peerSelector, bpf: bpf, rules: rules.isEmpty ? nil : rules, direction: direction)
        }
    }

    /// A named filter's flags, for create and update.
    struct SpecOptions: ParsableArguments {
        @Argument(help: "The filter's name.") var name: String
        @OptionGroup var selection: SelectionOptions
        @OptionGroup var ownership: OwnershipOptions

        var spec: FilterSpec { selection.spec(name: name, ownership: ownership) }
    }

    /// `tapster filter create NAME --selector …`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Create a filter.")
        @OptionGroup var filter: SpecOptions
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.create(Resources.filters, filter.spec)
        }
    }

    /// `tapster filter update NAME --selector …`: replaces the whole spec.
    struct Update: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a filter's spec (give every setting, as for create).")
        @OptionGroup var filter: SpecOptions
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.replace(Resources.filters, filter.name, filter.spec)
        }
    }

    /// `tapster filter workloads NAME`.
    struct Workloads: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List the workloads a filter selects now.")
        @Argument(help: "The filter's name or id.") var reference: String
        @OptionGroup var paging: PagingOptions
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.filterWorkloads(reference, paging: paging.paging)
        }
    }

    /// `tapster filter preview --selector …`.
    struct Preview: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show what a filter would select, without saving it.")
        @OptionGroup var selection: SelectionOptions
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.previewFilter(selection.spec(name: "preview", ownership: nil))
        }
    }
}
