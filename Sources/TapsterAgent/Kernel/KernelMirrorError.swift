import Glibc

/// Why an in-kernel mirror could not be set up, read or removed: the step, what it concerned, and the
/// kernel's errno.
struct KernelMirrorError: Error, CustomStringConvertible, Equatable {
    /// The step that failed.
    enum Step: String, Sendable {
        case netlink = "opening rtnetlink"
        case tunnel = "creating the tunnel device"
        case veth = "creating the veth pair"
        case interface = "finding the interface"
        case linkType = "checking the interface's link type"
        case qdisc = "adding the clsact qdisc"
        case filter = "adding the mirror filter"
        case program = "compiling the filter"
        case namespace = "entering the namespace"
        case hostNamespace = "mirroring in the host's namespace"
        case port = "delivering into the port"
        case portIsSource = "mirroring the port it delivers into"
        case portFilter = "running the tap's filter on the port's veth"
    }

    let step: Step
    /// What the step concerned: an interface, a device name, a namespace.
    let subject: String
    /// The kernel's errno (0 when the failure is not the kernel's).
    let code: Int32
    /// Any more detail (libpcap's message for a filter).
    let detail: String?

    init(_ step: Step, subject: String, code: Int32 = 0, detail: String? = nil) {
        self.step = step
        self.subject = subject
        self.code = code
        self.detail = detail
    }

    /// Whether the failure says the kernel cannot mirror this tap here — it lacks a piece (a device kind, a
    /// classifier or an action not built in), the interface is not Ethernet, or the program is longer than the
    /// kernel takes, or the port it delivers into has no other end in the host's namespace (or is in it), or the
    /// tap's program reads metadata whose meaning on the port's veth differs: the tap then takes
    /// the userspace path instead of failing.
    var needsUserspace: Bool {
        [EOPNOTSUPP, EPROTONOSUPPORT, EAFNOSUPPORT].contains(code) || (step == .tunnel && code == EINVAL)
            || ((step == .filter || step == .qdisc) && code == ENOENT) || step == .linkType || step == .hostNamespace || step == .port
            || step == .portFilter
            || (step == .program && code == E2BIG) || (step == .filter && code == EMSGSIZE)
    }

    var description: String {
        var text = "\(step.rawValue) (\(subject))"
        if code != 0 { text += ": \(String(cString: strerror(code)))" }
        if let detail { text += ": \(detail)" }
        return text
    }
}
