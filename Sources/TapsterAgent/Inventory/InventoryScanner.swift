import Foundation
import Glibc
import TapsterCore

/// Finds what this agent can tap on its host: the host's own interfaces (one `host` workload each), the
/// named namespaces under /var/run/netns the configuration assigns to it, and the namespaces of running
/// processes (deduplicated by namespace, leaving out the agent's own and the named ones) — each with its
/// interfaces, MACs and addresses, and the labels the configuration gives it.
///
/// A scan runs on a dedicated short-lived thread, which enters each namespace in turn (setns(2) is per
/// thread) and reads its interfaces with getifaddrs(3); a namespace that disappears meanwhile is left out.
public struct InventoryScanner: Sendable {
    /// Labels and scope.
    public var configuration: AgentConfiguration

    /// A scanner applying `configuration`.
    public init(configuration: AgentConfiguration = AgentConfiguration()) {
        self.configuration = configuration
    }

    /// Scans the host.
    /// - Throws: ``InventoryError`` when the agent's own namespace or its interfaces cannot be read.
    public func scan() async throws(InventoryError) -> HostInventory {
        let scanner = self
        do {
            // The thread starts in the agent's own namespace, then visits each namespace in turn.
            return try await NetworkNamespace.host.run { () throws(InventoryError) in try scanner.scanOnDedicatedThread() }
        } catch let error as InventoryError {
            throw error
        } catch let error as NamespaceError {
            throw InventoryError("entering the agent's namespace \(error.namespace.filePath)", errorNumber: error.code)
        } catch {
            throw InventoryError("scanning", errorNumber: EIO)
        }
    }

    /// The scan itself, on a thread that is in the agent's own namespace; it moves the thread between
    /// namespaces, so only a thread made for it may call it.
    func scanOnDedicatedThread() throws(InventoryError) -> HostInventory {
        let hostPath = NetworkNamespace.host.filePath
        guard let hostIdentity = NamespaceIdentity(path: hostPath) else {
            throw InventoryError("reading the agent's namespace \(hostPath)", errorNumber: errno)
        }
        var workloads: [DiscoveredWorkload] = []
        if configuration.reportsHostInterfaces {
            for interface in try InterfaceAddresses.read() {
                workloads.append(DiscoveredWorkload(
                    name: interface.name, kind: .host, netns: "",
                    labels: configuration.labels(of: .host, interfaceNames: [interface.name]), interfaces: [interface]))
            }
        }
        var excluded: Set<NamespaceIdentity> = [hostIdentity]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: NetworkNamespace.namedDirectory)) ?? []
        for name in names.sorted() {
            let namespace = NetworkNamespace.named(name)
            guard let identity = NamespaceIdentity(path: namespace.filePath), excluded.insert(identity).inserted,
                  configuration.owns(namespace: name), let interfaces = Self.interfaces(in: namespace) else { continue }
            workloads.append(namespaceWorkload(name: name, netns: name, origin: .namedNamespace(name), interfaces: interfaces))
        }
        if configuration.reportsProcessNamespaces {
            var recorded: [String: ProcessNamespaceRecord.Recorded] = [:]
            for process in ProcessNamespaces.list(excluding: excluded) {
                // Entered only if the path still leads to the namespace listed, not a successor's of the pid.
                let expected = ProcessNamespaceRecord.Recorded(workload: process.workloadName, identity: process.namespace)
                guard let interfaces = Self.interfaces(in: .path(process.namespacePath), expecting: expected) else { continue }
                recorded[process.namespacePath] = expected
                workloads.append(namespaceWorkload(name: process.workloadName, netns: process.namespacePath,
                                                   origin: .process(process.identity), interfaces: interfaces))
            }
            ProcessNamespaceRecord.shared.replace(with: recorded)
        }
        return HostInventory(workloads: workloads)
    }

    private func namespaceWorkload(name: String, netns: String, origin: WorkloadOrigin,
                                   interfaces: [DiscoveredInterface]) -> DiscoveredWorkload {
        DiscoveredWorkload(name: name, kind: .netns, netns: netns,
                           labels: configuration.labels(of: origin, interfaceNames: interfaces.map(\.name)),
                           interfaces: interfaces)
    }

    /// Enters `namespace` (checked against `expected` when given) and reads its interfaces; nil when it
    /// cannot be entered (it has gone) or read.
    private static func interfaces(in namespace: NetworkNamespace,
                                   expecting expected: ProcessNamespaceRecord.Recorded? = nil) -> [DiscoveredInterface]? {
        do {
            try namespace.enterOnCurrentThread(expecting: expected)
            return try InterfaceAddresses.read()
        } catch {
            return nil
        }
    }
}
