#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import TapsterCore

/// Finds what this agent can tap on its host: the host's own interfaces (one `host` workload each), the
/// pods and containers its container runtimes report (``PlatformInventory``), the named namespaces under
/// /var/run/netns the configuration assigns to it, and the namespaces of running processes (deduplicated by
/// namespace, leaving out the agent's own, the pods' and containers', and the named ones) — each with its
/// interfaces, MACs and addresses, and the labels the configuration (and, for pods and containers, the
/// runtime) gives it.
///
/// The runtimes are asked first (they are asked over sockets, asynchronously); then the scan runs on a
/// dedicated short-lived thread, which enters each namespace in turn (setns(2) is per thread) and reads its
/// interfaces with getifaddrs(3); a namespace that disappears meanwhile is left out. A namespace read less
/// than `interfaceRefresh` ago is not entered again (``InterfaceReadings``): a new one is read at once.
public struct InventoryScanner: Sendable {
    /// Labels and scope.
    public var configuration: AgentConfiguration
    /// The container runtimes asked for pods and containers at each scan.
    public var platforms: PlatformAnswers
    /// The interfaces read in each namespace by recent scans.
    let readings: InterfaceReadings
    /// Where each scan records the process namespaces it reported (the agent's one record, which entering a
    /// process namespace checks; a test's scanner that enters none may keep its own).
    let processRecord: ProcessNamespaceRecord

    /// A scanner applying `configuration`, asking `platforms` (none unless given), and entering a namespace
    /// it has read again only once its reading is `interfaceRefresh` old (5 s unless given).
    public init(configuration: AgentConfiguration = AgentConfiguration(), platforms: PlatformAnswers = PlatformAnswers(platforms: []),
                interfaceRefresh: Duration = .seconds(5)) {
        self.init(configuration: configuration, platforms: platforms, interfaceRefresh: interfaceRefresh, recordingInto: .shared)
    }

    /// A scanner as above that records the process namespaces it reports into `record`.
    init(configuration: AgentConfiguration = AgentConfiguration(), platforms: PlatformAnswers = PlatformAnswers(platforms: []),
         interfaceRefresh: Duration = .seconds(5), recordingInto record: ProcessNamespaceRecord) {
        self.configuration = configuration
        self.platforms = platforms
        readings = InterfaceReadings(refreshInterval: interfaceRefresh)
        processRecord = record
    }

    /// Scans the host.
    /// - Throws: ``InventoryError`` when the agent's own namespace or its interfaces cannot be read.
    public func scan() async throws(InventoryError) -> HostInventory {
        let scanner = self
        let platformWorkloads = await platforms.forScan()
        do {
            // The thread starts in the agent's own namespace, then visits each namespace in turn.
            return try await NetworkNamespace.host.run { () throws(InventoryError) in
                try scanner.scanOnDedicatedThread(platformWorkloads: platformWorkloads)
            }
        } catch let error as InventoryError {
            throw error
        } catch let error as NamespaceError where error.operation == .thread {
            throw InventoryError("starting the scan's thread", errorNumber: error.code)
        } catch let error as NamespaceError {
            throw InventoryError("entering the agent's namespace \(error.namespace.filePath)", errorNumber: error.code)
        } catch {
            throw InventoryError("scanning", errorNumber: EIO)
        }
    }

    /// The scan itself, on a thread that is in the agent's own namespace; it moves the thread between
    /// namespaces, so only a thread made for it may call it.
    func scanOnDedicatedThread(platformWorkloads: [PlatformWorkload] = []) throws(InventoryError) -> HostInventory {
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
        var read = ScanReadings(previous: readings, now: .now)
        // Process namespace paths reported (a pod's may be its sandbox's `/proc/<pid>/ns/net`), which a capture
        // enters only while they still lead to the namespace recorded here.
        var recorded: [String: ProcessNamespaceRecord.Recorded] = [:]
        for platformWorkload in platformWorkloads {
            guard let workload = self.workload(of: platformWorkload, hostIdentity: hostIdentity,
                                               excluding: &excluded, recording: &recorded, reading: &read) else { continue }
            workloads.append(workload)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: NetworkNamespace.namedDirectory)) ?? []
        for name in names.sorted() {
            let namespace = NetworkNamespace.named(name)
            guard let identity = NamespaceIdentity(path: namespace.filePath), excluded.insert(identity).inserted,
                  configuration.owns(namespace: name),
                  let interfaces = read.interfaces(in: namespace, identity: identity, expecting: nil, reusing: false) else { continue }
            workloads.append(namespaceWorkload(name: name, netns: name, origin: .namedNamespace(name), interfaces: interfaces))
        }
        if configuration.reportsProcessNamespaces {
            for process in ProcessNamespaces.list(excluding: excluded) {
                // Entered only if the path still leads to the namespace listed, not a successor's of the pid.
                let expected = ProcessNamespaceRecord.Recorded(workload: process.workloadName, identity: process.namespace)
                guard let interfaces = read.interfaces(in: .path(process.namespacePath), identity: process.namespace,
                                                       expecting: expected) else { continue }
                recorded[process.namespacePath] = expected
                workloads.append(namespaceWorkload(name: process.workloadName, netns: process.namespacePath,
                                                   origin: .process(process.identity), interfaces: interfaces))
            }
        }
        processRecord.replace(with: recorded)
        readings.replace(with: read.current)
        return HostInventory(workloads: workloads)
    }

    /// A pod's or container's workload: its own namespace entered for its interfaces (and left out of the
    /// named and process namespaces), or none for one on the host's network; nil when its namespace has gone.
    private func workload(of platformWorkload: PlatformWorkload, hostIdentity: NamespaceIdentity,
                          excluding excluded: inout Set<NamespaceIdentity>,
                          recording recorded: inout [String: ProcessNamespaceRecord.Recorded],
                          reading read: inout ScanReadings) -> DiscoveredWorkload? {
        var platform = platformWorkload.platform
        var netns = ""
        var interfaces: [DiscoveredInterface] = []
        if !platform.hostNetwork, let path = platformWorkload.networkNamespacePath {
            // A runtime's `/proc/<pid>/ns/net` is the workload's only while that pid is still the process the
            // runtime named: its start time is checked around reading the namespace's identity.
            let sameProcess = { platformWorkload.processStartTime == nil
                || PlatformWorkload.pid(ofNamespacePath: path).flatMap(ProcessNamespaces.startTime(pid:)) == platformWorkload.processStartTime }
            guard sameProcess(), let identity = NamespaceIdentity(path: path), sameProcess() else { return nil }
            if identity == hostIdentity {
                // A runtime may name the host's own namespace for a container on the host's network.
                platform.hostNetwork = true
            } else {
                let expected = ProcessNamespaceRecord.Recorded(workload: platformWorkload.name, identity: identity)
                guard let found = read.interfaces(in: .path(path), identity: identity, expecting: expected) else { return nil }
                if ProcessNamespaceRecord.isProcessNamespacePath(path) { recorded[path] = expected }
                excluded.insert(identity)
                netns = path
                interfaces = found
            }
        } else {
            platform.hostNetwork = true
        }
        let labels = configuration.labels(of: .platform, interfaceNames: interfaces.map(\.name))
            .merging(platformWorkload.labels) { _, runtimeValue in runtimeValue }
        return DiscoveredWorkload(name: platformWorkload.name, kind: platformWorkload.kind, netns: netns,
                                  labels: labels, interfaces: interfaces, platform: platform)
    }

    private func namespaceWorkload(name: String, netns: String, origin: WorkloadOrigin,
                                   interfaces: [DiscoveredInterface]) -> DiscoveredWorkload {
        DiscoveredWorkload(name: name, kind: .netns, netns: netns,
                           labels: configuration.labels(of: origin, interfaceNames: interfaces.map(\.name)),
                           interfaces: interfaces)
    }

}

/// One scan's interface readings: the recent ones it reuses and the namespaces it entered, which become the
/// readings of the next scan.
struct ScanReadings {
    let previous: InterfaceReadings
    let now: ContinuousClock.Instant
    /// Every namespace this scan reported, with its reading.
    private(set) var current: [InterfaceReadings.Key: InterfaceReadings.Reading] = [:]

    init(previous: InterfaceReadings, now: ContinuousClock.Instant) {
        self.previous = previous
        self.now = now
    }

    /// The interfaces of `namespace`, whose identity the scan found to be `identity`: a recent reading (when
    /// `reusing`), or those read after entering it (checked against `expected` when given); nil when it cannot
    /// be entered (it has gone) or read. Named namespaces are always read: `ip netns del x; ip netns add x`
    /// gives the same path, and the kernel may give the new namespace the old one's inode number.
    mutating func interfaces(in namespace: NetworkNamespace, identity: NamespaceIdentity,
                             expecting expected: ProcessNamespaceRecord.Recorded?, reusing: Bool = true) -> [DiscoveredInterface]? {
        let key = InterfaceReadings.Key(path: namespace.filePath, identity: identity)
        if reusing, let reading = previous.fresh(key, at: now) {
            current[key] = reading
            return reading.interfaces
        }
        do {
            try namespace.enterOnCurrentThread(expecting: expected)
            let interfaces = try InterfaceAddresses.read()
            current[key] = InterfaceReadings.Reading(interfaces: interfaces, readAt: now)
            return interfaces
        } catch {
            return nil
        }
    }
}
