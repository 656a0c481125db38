import TapsterProcess

/// The reader of the pipe the CLI writes to went away (`tapster … | head`, a tshark that exited): the command stops
/// quietly, as tcpdump and kubectl do, and what it had to say is not an error.
public struct OutputClosed: Error, Sendable {
    /// Nothing when `outcome` is ``DescriptorWriter/Outcome/written``; ``OutputClosed`` when the reader went away;
    /// a `cannot_write` failure naming `what` (`standard output`, a file's path) otherwise.
    static func check(_ outcome: DescriptorWriter.Outcome, writing what: String) throws {
        switch outcome {
        case .written: return
        case .readerGone: throw OutputClosed()
        case .failed: throw CommandFailure.cannotWrite("writing \(what) failed: \(outcome.reason)")
        }
    }
}
