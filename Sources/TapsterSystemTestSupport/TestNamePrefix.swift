import Foundation

/// Short unique prefixes (`tt` and four hex digits) for the namespaces, links and processes a test makes.
///
/// Random alone was not enough: with dozens of tests making namespaces at once, two drew the same 16-bit value in
/// one run (`ip netns add tt7cf8-lan`: File exists), and a run killed before its clean-up leaves names behind. So
/// within this process a prefix is never handed out twice, and a prefix that already names a network namespace
/// (another process's, or a leftover) is skipped.
public enum TestNamePrefix {
    private static let issued = LockedValue<Set<UInt16>>([])

    /// A prefix no other caller in this process got and no namespace in `/run/netns` starts with.
    public static func next() -> String {
        let existing = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).map { String($0.prefix(6)) })
        while true {
            let value = UInt16.random(in: 0...UInt16.max)
            let prefix = "tt" + String(format: "%04x", value)
            guard !existing.contains(prefix), issued.update({ $0.insert(value).inserted }) else { continue }
            return prefix
        }
    }
}
