import Synchronization

/// Makes the workloads a long-lived holder keeps share one copy of each string and label set they have in common.
///
/// The server's planning model keeps every host's workloads for as long as it runs (issue #10). Each is decoded from
/// the store on its own, so the host name in every workload of a node, its `reportedBy`, a Kubernetes namespace,
/// an image, label keys such as `app.kubernetes.io/name` and whole label sets of a deployment's pods are each a
/// separate heap block, once per workload. Interned, equal values share one block: the workloads stay equal to what
/// was read (only where their bytes live changes).
///
/// Strings of up to 15 UTF-8 bytes are kept as they are: Swift stores them inside the value, without a block to share.
/// Ids, names, MAC and IP addresses are not looked at (a long label value unique to one pod is kept in the table like
/// any other). A value is replaced only by one of the very same bytes: Swift's `==` on strings is canonical equivalence,
/// and an image name in NFD must not become the NFC one seen first — so a label set with a non-ASCII key or value
/// (which validation refuses today) has its strings interned one by one, never the set. What it holds is never
/// forgotten while it lives: make a new one when everything is read again, so that values no workload has any more go
/// with the old one.
///
/// A class with its table under a lock, so that copies of the value that holds it (the planning model is copied for
/// each plan) share one table instead of copying it on their first change.
public final class WorkloadInterner: Sendable {
    fileprivate struct Table {
        var strings: Set<String> = []
        var labelSets: Set<[String: String]> = []
    }

    private let table = Mutex(Table())

    public init() {}

    /// How many distinct strings and label sets it holds.
    public var count: (strings: Int, labelSets: Int) {
        table.withLock { ($0.strings.count, $0.labelSets.count) }
    }

    /// `workload`, equal to it, with its shared strings and label set in the storage of the first equal ones seen.
    public func interned(_ workload: Workload) -> Workload {
        table.withLock { Self.interned(workload, into: &$0) }
    }

    /// `workloads`, each ``interned(_:)``, under one acquisition of the lock.
    public func interned(_ workloads: [Workload]) -> [Workload] {
        table.withLock { table in workloads.map { Self.interned($0, into: &table) } }
    }

    private static func interned(_ workload: Workload, into table: inout Table) -> Workload {
        var workload = workload
        workload.spec.intern(into: &table)
        return workload
    }

    fileprivate static func intern(_ string: inout String, into table: inout Table) {
        // Small strings have no storage of their own; a table entry would cost more than it saves.
        guard string.utf8.count > 15 else { return }
        let member = table.strings.insert(string).memberAfterInsert
        if member.utf8.elementsEqual(string.utf8) { string = member }
    }

    fileprivate static func intern(_ string: inout String?, into table: inout Table) {
        guard var value = string else { return }
        intern(&value, into: &table)
        string = value
    }

    fileprivate static func intern(_ labels: inout [String: String], into table: inout Table) {
        guard !labels.isEmpty else { return }
        // Equal ASCII texts are equal bytes; beyond ASCII a set found equal could differ in its bytes.
        let ascii = labels.allSatisfy { $0.key.utf8.allSatisfy { $0 < 0x80 } && $0.value.utf8.allSatisfy { $0 < 0x80 } }
        if ascii, let index = table.labelSets.firstIndex(of: labels) {
            labels = table.labelSets[index]
            return
        }
        // A set seen for the first time: its keys and values may still be shared with other sets (a deployment's
        // pods differ in one label, `pod-template-hash` across its versions).
        var shared: [String: String] = [:]
        shared.reserveCapacity(labels.count)
        for (key, value) in labels {
            var key = key, value = value
            intern(&key, into: &table)
            intern(&value, into: &table)
            shared[key] = value
        }
        labels = shared
        if ascii { table.labelSets.insert(shared) }
    }
}

private extension WorkloadSpec {
    mutating func intern(into table: inout WorkloadInterner.Table) {
        WorkloadInterner.intern(&host, into: &table)
        WorkloadInterner.intern(&reportedBy, into: &table)
        WorkloadInterner.intern(&tenant, into: &table)
        WorkloadInterner.intern(&labels, into: &table)
        if var platform {
            WorkloadInterner.intern(&platform.runtime, into: &table)
            WorkloadInterner.intern(&platform.namespace, into: &table)
            WorkloadInterner.intern(&platform.image, into: &table)
            self.platform = platform
        }
    }
}
