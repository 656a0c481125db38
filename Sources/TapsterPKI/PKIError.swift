/// What went wrong in the PKI: which file, which certificate, which token, and why.
public enum PKIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A directory for keys and certificates could not be created or used.
    case cannotCreateDirectory(path: String, reason: String)
    /// A private file or directory could not be given its owner-only `mode` (octal text).
    case cannotRestrict(path: String, mode: String, reason: String)
    /// A key or certificate file exists but could not be read.
    case cannotRead(path: String, reason: String)
    /// A key or certificate file could not be written.
    case cannotWrite(path: String, reason: String)
    /// A file could not be removed.
    case cannotRemove(path: String, reason: String)
    /// PEM text (from `source`: a file path or a named message field) is not the key or certificate expected.
    case invalidPEM(source: String, reason: String)
    /// One of two files that belong together (key and certificate, certificate and CA) exists without the other.
    case incompleteFiles(present: String, missing: String)
    /// The private key in `keyPath` is not the key of the certificate in `certificatePath`.
    case keyDoesNotMatchCertificate(keyPath: String, certificatePath: String)
    /// A certificate could not be built or signed.
    case certificateCreationFailed(what: String, reason: String)
    /// A subject alternative name address that is neither IPv4 nor IPv6 text.
    case invalidIPAddress(String)
    /// A name unusable as a certificate's common name.
    case invalidName(String, reason: String)
    /// Join token text that does not have the form `tjoin.<id>.<secret>.<ca sha256 hex>`.
    case malformedJoinToken(reason: String)
    /// Fingerprint text that does not have the form `sha256:<64 lower-case hex digits>`.
    case malformedFingerprint(text: String, reason: String)
    /// An enrolled identity was asked for, but the agent has not enrolled (no issued certificate in `directory`).
    case notEnrolled(directory: String)
    /// The certificate and CA the server sent at enrolment are not usable with this agent's key.
    case enrolmentRejected(reason: String)

    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let reason):
            "cannot create directory \(path): \(reason)"
        case .cannotRestrict(let path, let mode, let reason):
            "cannot set mode \(mode) on \(path): \(reason)"
        case .cannotRead(let path, let reason):
            "cannot read \(path): \(reason)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason)"
        case .cannotRemove(let path, let reason):
            "cannot remove \(path): \(reason)"
        case .invalidPEM(let source, let reason):
            "invalid PEM in \(source): \(reason)"
        case .incompleteFiles(let present, let missing):
            "\(present) exists but \(missing) does not; restore \(missing) or remove both to start afresh"
        case .keyDoesNotMatchCertificate(let keyPath, let certificatePath):
            "the private key in \(keyPath) is not the key of the certificate in \(certificatePath)"
        case .certificateCreationFailed(let what, let reason):
            "cannot create \(what): \(reason)"
        case .invalidIPAddress(let text):
            "'\(text)' is not an IPv4 or IPv6 address"
        case .invalidName(let name, let reason):
            "'\(name)' cannot name a certificate: \(reason)"
        case .malformedJoinToken(let reason):
            "malformed join token: \(reason)"
        case .malformedFingerprint(let text, let reason):
            "malformed certificate fingerprint '\(text)': \(reason)"
        case .notEnrolled(let directory):
            "the agent has not enrolled: no issued certificate in \(directory)"
        case .enrolmentRejected(let reason):
            "enrolment answer rejected: \(reason)"
        }
    }
}
