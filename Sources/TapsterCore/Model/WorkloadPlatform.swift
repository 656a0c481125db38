/// What a workload's container runtime says about it — for a `pod` (a Kubernetes pod, read through the
/// CRI) or a `container` (read through the Docker Engine API, which Podman serves too). Reported by the
/// agent beside the workload; the server decides a pod's tenant from its ``namespace`` alone
/// (``WorkloadTenancy``).
public struct WorkloadPlatform: Codable, Sendable, Equatable {
    /// The runtimes agents report today. Other values are kept as reported (a newer agent may know more).
    public static let cri = "cri"
    public static let docker = "docker"

    /// How the agent asked: `cri` or `docker`.
    public var runtime: String
    /// Pods: the Kubernetes namespace.
    public var namespace: String?
    /// The pod's uid, or the container's id.
    public var uid: String?
    /// Containers: the image they run.
    public var image: String?
    /// Whether it shares the host's network namespace (it has no interfaces of its own).
    public var hostNetwork: Bool

    public init(runtime: String, namespace: String? = nil, uid: String? = nil, image: String? = nil, hostNetwork: Bool = false) {
        self.runtime = runtime
        self.namespace = namespace
        self.uid = uid
        self.image = image
        self.hostNetwork = hostNetwork
    }

    private enum CodingKeys: String, CodingKey { case runtime, namespace, uid, image, hostNetwork }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        runtime = try c.decode(String.self, forKey: .runtime)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
        uid = try c.decodeIfPresent(String.self, forKey: .uid)
        image = try c.decodeIfPresent(String.self, forKey: .image)
        hostNetwork = try c.decodeIfPresent(Bool.self, forKey: .hostNetwork) ?? false
    }

    /// Checks every field (errors name `platform.<field>`); returns the value unchanged when valid.
    public func validated() throws(TapsterError) -> WorkloadPlatform {
        guard (1...32).contains(runtime.count), runtime.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw TapsterError.invalid("platform.runtime", "\"\(runtime)\" is not a runtime name such as \(Self.cri) or \(Self.docker)")
        }
        if let namespace { try KubernetesNamespace.validate(namespace, field: "platform.namespace") }
        if let uid {
            guard (1...128).contains(uid.count), !uid.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw TapsterError.invalid("platform.uid", "\"\(uid.prefix(140))\" must be 1–128 characters without spaces")
            }
        }
        if let image {
            guard (1...512).contains(image.count), !image.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) else {
                throw TapsterError.invalid("platform.image", "must be 1–512 characters without spaces")
            }
        }
        return self
    }
}

/// Kubernetes namespace names: DNS labels (RFC 1123) — 1 to 63 lowercase letters, digits and `-`,
/// starting and ending with a letter or digit.
public enum KubernetesNamespace {
    public static let maximumLength = 63

    /// Throws an error naming `field` unless `name` is a namespace name.
    public static func validate(_ name: String, field: String) throws(TapsterError) {
        guard isValid(name) else {
            throw TapsterError.invalid(field, "\"\(name.prefix(80))\" is not a Kubernetes namespace name (1–\(maximumLength) lowercase letters, digits and '-', starting and ending with a letter or digit)")
        }
    }

    public static func isValid(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard (1...maximumLength).contains(scalars.count), let first = scalars.first, let last = scalars.last else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last) && scalars.allSatisfy { isAlphanumeric($0) || $0 == "-" }
    }

    static func isAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("0"..."9").contains(s)
    }
}
