import Foundation
import TapsterCore
import Testing

/// Interned workloads equal what was read, and share the storage of the strings and label sets they have in common.
@Suite struct WorkloadInternerTests {
    private static let node = "ip-10-0-12-34.eu-west-1.compute.internal"

    /// A pod as the store decodes it: every string in a block of its own (built from parts, never a literal's storage).
    private static func pod(_ number: Int, labels: [String: String]? = nil) -> Workload {
        func fresh(_ text: String) -> String { String(decoding: Array(text.utf8), as: UTF8.self) }
        let labels = labels ?? [fresh("app.kubernetes.io/name"): fresh("checkout-service"),
                                fresh("pod-template-hash"): fresh("7d9f8c6b5d")]
        return Workload(createdAt: Date(timeIntervalSince1970: 1_796_000_000), spec: WorkloadSpec(
            name: "payments/checkout-\(number)", kind: .pod, host: fresh(node), tenant: "payments",
            labels: Dictionary(uniqueKeysWithValues: labels.map { (fresh($0.key), fresh($0.value)) }),
            netns: "/var/run/netns/cni-\(number)", reportedBy: fresh(node),
            platform: WorkloadPlatform(runtime: "cri", namespace: "payments", uid: UUID().uuidString,
                                       image: fresh("registry.example.com/payments/checkout:1.4.2"))))
    }

    /// Where a string's UTF-8 bytes live (nil for one stored inside the value).
    private static func storage(_ string: String) -> UnsafeRawPointer? {
        var copy = string
        return copy.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    /// The reference a dictionary's value holds: equal for two dictionaries sharing one storage.
    private static func storage(_ labels: [String: String]) -> [UInt8] {
        withUnsafeBytes(of: labels) { Array($0) }
    }

    @Test func anInternedWorkloadEqualsTheWorkloadRead() {
        let interner = WorkloadInterner()
        let first = Self.pod(1), second = Self.pod(2)
        #expect(interner.interned(first) == first)
        #expect(interner.interned([second]) == [second])
    }

    /// Two pods of one node and deployment as read (each string in a block of its own), and the same two interned.
    private static func twoPods() -> (read: (Workload, Workload), interned: (Workload, Workload), interner: WorkloadInterner) {
        let interner = WorkloadInterner()
        let read = (pod(1), pod(2))
        return (read, (interner.interned(read.0), interner.interned(read.1)), interner)
    }

    @Test func workloadsOfOneNodeShareItsNameAndTheirReporter() {
        let (read, (first, second), _) = Self.twoPods()
        #expect(Self.storage(read.0.host) != Self.storage(read.1.host))
        #expect(Self.storage(first.host) == Self.storage(second.host))
        #expect(Self.storage(first.reportedBy!) == Self.storage(second.host))
        #expect(Self.storage(first.platform!.image!) == Self.storage(second.platform!.image!))
    }

    @Test func equalLabelSetsShareOneStorage() {
        let (read, (first, second), interner) = Self.twoPods()
        #expect(Self.storage(read.0.labels) != Self.storage(read.1.labels))
        #expect(Self.storage(first.labels) == Self.storage(second.labels))
        #expect(interner.count.labelSets == 1)
    }

    @Test func differentLabelSetsShareTheirCommonKeysAndValues() {
        let interner = WorkloadInterner()
        let first = interner.interned(Self.pod(1))
        let newer = interner.interned(Self.pod(2, labels: ["app.kubernetes.io/name": "checkout-service", "pod-template-hash": "5c8b7f9d6a"]))
        #expect(newer.labels == ["app.kubernetes.io/name": "checkout-service", "pod-template-hash": "5c8b7f9d6a"])
        #expect(interner.count.labelSets == 2)
        let key = "app.kubernetes.io/name"
        let keys = (first.labels.keys.first { $0 == key }!, newer.labels.keys.first { $0 == key }!)
        #expect(Self.storage(keys.0) == Self.storage(keys.1))
        #expect(Self.storage(first.labels[key]!) == Self.storage(newer.labels[key]!))
    }

    @Test func stringsStoredInsideTheValueAreNotKept() {
        let interner = WorkloadInterner()
        var short = Self.pod(1, labels: ["app": "web"])
        short.spec.host = "node-1"
        short.spec.reportedBy = "node-1"
        short.spec.platform?.image = "busybox"
        #expect(interner.interned(short) == short)
        #expect(interner.count.strings == 0)
        #expect(interner.count.labelSets == 1)
    }

    @Test func aValueIsReplacedOnlyByOneOfTheSameBytes() {
        let interner = WorkloadInterner()
        // The same image name, composed (NFC) and decomposed (NFD): equal to Swift, different bytes.
        var composed = Self.pod(1), decomposed = Self.pod(2)
        composed.spec.platform?.image = "registry.example.com/caf\u{E9}:1.4.2"
        decomposed.spec.platform?.image = "registry.example.com/cafe\u{301}:1.4.2"
        #expect(composed.platform?.image == decomposed.platform?.image)
        _ = interner.interned(composed)
        let kept = interner.interned(decomposed)
        #expect(Array(kept.platform!.image!.utf8) == Array("registry.example.com/cafe\u{301}:1.4.2".utf8))
    }
}
