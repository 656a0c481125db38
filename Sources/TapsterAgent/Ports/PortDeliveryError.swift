import Glibc

/// Why frames cannot be delivered into a port (a workload's interface), or received for one from another host.
public struct PortDeliveryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The step that failed.
    public enum Stage: String, Hashable, Sendable {
        /// Entering the port's network namespace.
        case namespace = "entering the namespace"
        /// Looking the interface up in its namespace (it does not exist).
        case interface = "finding the interface"
        /// Finding the other end of the port's veth, which the frames are sent from (the port is not a veth,
        /// or its peer's namespace cannot be found).
        case peer = "finding the port's veth peer"
        /// Opening or binding the `AF_PACKET` socket that injects frames.
        case injectionSocket = "opening the injection socket"
        /// Opening or binding the raw GRE socket that receives tunnelled frames.
        case receiveSocket = "opening the GRE receive socket"
        /// Parsing the receiver's local address.
        case address = "reading the local address"
        /// Starting the receiver's thread or its wake-up descriptor.
        case thread = "starting the receive thread"
    }

    /// The step that failed.
    public let stage: Stage
    /// What the step was about: `mon0 in netns tt1a-mon`, `127.0.0.1`.
    public let subject: String
    /// The system's (or the namespace layer's) explanation.
    public let reason: String

    /// Describes a failure.
    public init(stage: Stage, subject: String, reason: String) {
        self.stage = stage
        self.subject = subject
        self.reason = reason
    }

    /// A failure of a system call, explained by `errno`'s text.
    init(stage: Stage, subject: String, code: Int32) {
        self.init(stage: stage, subject: subject, reason: String(cString: strerror(code)))
    }

    /// `cannot deliver to mon9 in netns tt1a-mon (finding the interface): No such device`.
    public var description: String { "cannot deliver to \(subject) (\(stage.rawValue)): \(reason)" }
}
