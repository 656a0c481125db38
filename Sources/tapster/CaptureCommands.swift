import ArgumentParser
import Foundation
import TapsterClient
import TapsterAPI
import TapsterCore

/// `tapster capture …`: tcpdump across every instance of an app, and the stored captures.
struct CaptureCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "capture", abstract: "Capture packets across every instance of an app, as tcpdump does.",
        discussion: """
            tapster capture -l app=web -i eth0 -s 256 -c 10000 --for 60s -w web.pcapng 'tcp port 443'
            tapster capture -l app=web -w - | tshark -r -          (or: | wireshark -k -i -)
            tapster capture -l app=checkout -n shop -w shop.pcapng  (the pods of Kubernetes namespace shop)
            Through a grant whose target is `stream` (or `store`, with --store); -F picks the grant's filter when \
            you have several. Ctrl-C stops the capture; the file still ends with its statistics.
            """,
        subcommands: [Run.self, ListCommand<Self>.self, GetCommand<Self>.self, Download.self, Readers.self, DeleteCommand<Self>.self],
        defaultSubcommand: Run.self, aliases: ["captures"])
    static let collection = Resources.captures

    /// `tapster capture [-l SELECTOR] [-i IFACE] [-s SNAPLEN] [-c COUNT] [--for 60s] [-w FILE|-] [-F FILTER] [--store] [EXPRESSION…]`.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Capture (the default): one merged pcapng from every host the grant's filter selects.")

        @Option(name: [.customShort("l"), .customLong("selector")], help: "Only workloads whose labels also match, e.g. app=web.",
                transform: Parse.selector)
        var selector: LabelSelector?
        @Option(name: [.customShort("n"), .long], help: "Only the pods of this Kubernetes namespace (adds k8s.namespace=NAMESPACE to -l).")
        var namespace: String?
        @Option(name: [.customShort("i"), .long], help: "Only this interface of each workload, e.g. eth0.") var interface: String?
        @Option(name: [.customShort("s"), .long], help: "Bytes kept of each packet (capped by the target's payload).") var snaplen: Int?
        @Option(name: [.customShort("c"), .long], help: "Stop after this many packets.") var count: UInt64?
        @Option(name: .customLong("max-bytes"), help: "Stop after this many packet bytes, e.g. 100MiB.", transform: Parse.byteCount)
        var maxBytes: ByteCount?
        @Option(name: .customLong("for"), help: "How long, e.g. 60s (default: the longest the grant allows).", transform: Parse.duration)
        var duration: TapDuration?
        @Option(name: .customLong("before"), help: "Start this long ago, with a recorder's packets, e.g. 20s (needs a recorder of the workloads).",
                transform: Parse.duration)
        var before: TapDuration?
        @Option(name: [.customShort("w"), .customLong("write")],
                help: ArgumentHelp("Write the pcapng to FILE, or to standard output with -.", valueName: "file"))
        var write: String?
        @Option(name: [.customShort("F"), .customLong("filter")], help: "The admin-defined filter (and so the grant) to capture through.")
        var filter: String?
        @Option(help: "The stream or store target, when several grants share the filter.") var target: String?
        @Flag(help: "Write to the server's capture store instead (a grant with a store target); fetch it with 'tapster capture download'.")
        var store = false
        @Option(help: "Which of your tenants the capture belongs to, when you have several.") var tenant: String?
        @Option(help: "Why (shown in the audit log).") var description: String?
        @Argument(help: "A tcpdump filter expression, AND-ed with the filter's (e.g. tcp port 443).") var expression: [String] = []
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            if store, write != nil { throw ValidationError("--store and -w exclude each other: a stored capture is fetched with 'tapster capture download'") }
            if let namespace, !KubernetesNamespace.isValid(namespace) {
                throw ValidationError("-n \"\(namespace)\" is not a Kubernetes namespace name (lowercase letters, digits and '-')")
            }
        }

        func run() async throws {
            let destination: CaptureDestination
            if store {
                destination = .store
            } else if let write {
                destination = .file(write)
            } else if isatty(STDOUT_FILENO) == 0 {
                destination = .file("-")
            } else {
                throw ValidationError("say where the capture goes: -w FILE, or -w - to pipe it (| tshark -r -, | wireshark -k -i -), or --store")
            }
            var request = CaptureRequest(
                filter: filter, target: target, selector: narrowedSelector(), interface: interface, snaplen: snaplen,
                bpf: expression.isEmpty ? nil : expression.joined(separator: " "), count: count, byteLimit: maxBytes?.bytes,
                duration: duration, store: store ? true : nil, tenant: tenant, description: description)
            request.before = before
            let progress = isatty(STDERR_FILENO) == 1
            try await connection.run { session in
                try await session.capture(request, to: destination, showProgress: progress)
            }
        }

        /// `-l` with `-n`'s namespace added as the selector key the server sets on every pod.
        private func narrowedSelector() -> LabelSelector? {
            guard let namespace else { return selector }
            return LabelSelector(requirements: (selector?.requirements ?? []) + [.equals(key: WorkloadTenancy.namespaceLabel, value: namespace)])
        }
    }

    /// `tapster capture download ID [-o FILE]`.
    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch a stored capture through a signed URL.")
        @Argument(help: "The capture's id.") var id: String
        @Option(name: [.short, .customLong("output-file")], help: ArgumentHelp("Where to write it (- for standard output).", valueName: "file"))
        var output: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.run { session in
                try await session.downloadCapture(id, to: output ?? "capture-\(id).pcapng")
            }
        }
    }
}
