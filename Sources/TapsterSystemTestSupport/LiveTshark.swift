import Foundation

/// `tshark` capturing live on one interface inside a namespace, printing chosen fields of each packet
/// as it arrives (`-l -T fields`), the way a person watches a tool's port. Rows are read from its output
/// file at any time; ``stop()`` ends it.
public final class LiveTshark: @unchecked Sendable {
    /// The fields printed, in order; the keys of each row.
    public let fields: [String]
    private let process: BackgroundProcess

    /// A packet as tshark decoded it: field name → value (`""` when absent). With several occurrences of a
    /// field (outer and inner IP of a tunnel) the value is the *last*, the innermost.
    public typealias Row = [String: String]

    /// Starts tshark on `interface` in `namespace` (not promiscuous, no name resolution) and waits until it
    /// records packets.
    /// - Parameter captureFilter: a capture filter (tcpdump's language), or nil for every packet.
    public convenience init(name: String, namespace: String, interface: String, captureFilter: String? = nil, fields: [String],
         topology: NetnsTopology, directory: ScratchDirectory) async throws {
        try await self.init(name: name, entering: ["ip", "netns", "exec", namespace], interface: interface,
                            captureFilter: captureFilter, fields: fields, directory: directory)
    }

    /// Starts tshark on `interface` in the network namespace at `namespacePath` (a container's
    /// `/proc/<pid>/ns/net`), as the other initialiser does in a named one.
    public convenience init(name: String, namespacePath: String, interface: String, captureFilter: String? = nil, fields: [String],
         directory: ScratchDirectory) async throws {
        try await self.init(name: name, entering: ["nsenter", "--net=\(namespacePath)"], interface: interface,
                            captureFilter: captureFilter, fields: fields, directory: directory)
    }

    /// Starts tshark behind `entering`, the command that runs it in the namespace.
    private init(name: String, entering: [String], interface: String, captureFilter: String?, fields: [String],
                 directory: ScratchDirectory) async throws {
        self.fields = fields
        // tshark keeps a temporary capture file: in the test's directory, so nothing outlives the test.
        var arguments = ["env", "TMPDIR=\(directory.url.path)", "tshark", "-i", interface, "-p", "-n", "-l", "-T", "fields", "-E", "separator=|", "-E", "occurrence=l"]
        if let captureFilter { arguments += ["-f", captureFilter] }
        arguments += fields.flatMap { ["-e", $0] }
        process = try BackgroundProcess(name: name, entering + arguments, directory: directory)
        do {
            // tshark prints "Capturing on 'eth0'" when it launches dumpcap, and "Capture started." once
            // dumpcap's handle is open and its file created: only then are packets recorded.
            try await process.waitForOutput("Capture started.", timeout: .seconds(30))
        } catch {
            process.stop()
            throw error
        }
    }

    /// The packets printed so far.
    public var rows: [Row] {
        process.stdout.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            let values = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            var row: Row = [:]
            for (index, field) in fields.enumerated() { row[field] = index < values.count ? values[index] : "" }
            return row
        }
    }

    /// What tshark printed on stderr besides its notes: running as root, the capture banner and
    /// informational messages, the packet count.
    public var warnings: [String] {
        process.stderr.split(separator: "\n").map(String.init).filter { line in
            !line.isEmpty && !line.hasPrefix("Running as user \"root\"") && !line.hasPrefix("Capturing on")
                && !line.contains("[Main MESSAGE]") && !line.contains(" captured")
        }
    }

    /// Interrupts tshark and waits for it to exit.
    public func stop() {
        process.stop()
    }
}
