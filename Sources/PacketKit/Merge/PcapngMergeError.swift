/// Why a merge failed: which input (or source) and what was wrong with it, or what the writer refused.
public struct PcapngMergeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Hashable, Sendable {
        /// Input number `index` (0-based, in the order given) is not valid pcapng.
        case input(index: Int, PcapngError)
        /// The output writer refused a block.
        case output(PcapngWriteError)
        /// A live source id the merger did not hand out.
        case unknownSource(Int)
        /// A packet pushed for a source after it was closed.
        case sourceClosed(Int)
        /// A packet or statistics block for an interface the source has not described.
        case unknownInterface(source: Int, id: UInt32, known: Int)
    }

    /// What went wrong.
    public let kind: Kind

    /// Wraps `kind`.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// A sentence naming the input or source and the problem.
    public var description: String {
        switch kind {
        case .input(let index, let error): "merge: input \(index): \(error)"
        case .output(let error): "merge: \(error)"
        case .unknownSource(let source): "merge: unknown source \(source)"
        case .sourceClosed(let source): "merge: source \(source) is closed"
        case .unknownInterface(let source, let id, let known): "merge: source \(source) has no interface \(id) (it described \(known))"
        }
    }
}
