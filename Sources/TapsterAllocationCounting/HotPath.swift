/// A data-plane path driven packet by packet as production drives it, for counting what it allocates
/// per packet (``AllocationGrowth``).
///
/// Implementations own everything the path reuses (sinks, buffers, sockets) across runs, as the agent and
/// the server do across a capture, so that a run after the first measures the steady state.
public protocol HotPath: AnyObject {
    /// What the path is, for reports: `capture → tunnel sink (VXLAN)`.
    var name: String { get }

    /// Pushes `packets` packets through the whole path — accepted, flushed, drained or written — on the
    /// calling thread, and returns how many came out at the far end (a path that lost packets measured
    /// less than it claims).
    func run(packets: Int) throws(HotPathError) -> Int
}

/// Why a hot path could not be set up or run.
public struct HotPathError: Error, CustomStringConvertible {
    /// The path (``HotPath/name``).
    public var path: String
    /// What failed, in words.
    public var reason: String

    /// An error of `path` for `reason`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `capture → tunnel sink (VXLAN): cannot open a UDP socket: …`.
    public var description: String { "\(path): \(reason)" }
}
