import Foundation
import Testing
import Yams

/// One object of `deploy/kubernetes/`: a YAML document with its file.
struct KubernetesObject: CustomStringConvertible {
    let file: String
    let tree: YAMLTree

    var kind: String { tree["kind"].string ?? "" }
    var name: String { tree[path: "metadata.name"].string ?? "" }
    var namespace: String? { tree[path: "metadata.namespace"].string }
    /// A workload's pod template spec (Deployment, DaemonSet).
    var podSpec: YAMLTree { tree[path: "spec.template.spec"] }
    var podLabels: [String: String] { tree[path: "spec.template.metadata.labels"].stringMap }
    /// A workload's one container (each of ours has exactly one).
    var container: YAMLTree { podSpec["containers"].items.first ?? YAMLTree(nil) }

    var description: String { "\(kind)/\(name) in \(file)" }

    /// The value of `--flag=value` among the container's arguments.
    func argument(_ flag: String) -> String? {
        container["args"].strings.first { $0.hasPrefix("\(flag)=") }.map { String($0.dropFirst(flag.count + 1)) }
    }

    /// The pod volume a container mount uses, by the mount's path.
    func volume(mountedAt path: String) -> YAMLTree? {
        guard let mount = container["volumeMounts"].items.first(where: { $0["mountPath"].string == path }),
              let volumeName = mount["name"].string else { return nil }
        return podSpec["volumes"].items.first { $0["name"].string == volumeName }
    }

    /// The container mount whose path holds `file` (the longest such path), with its volume.
    func mount(holding file: String) -> (mount: YAMLTree, volume: YAMLTree)? {
        let mounts = container["volumeMounts"].items.filter { mount in
            guard let path = mount["mountPath"].string else { return false }
            return file.hasPrefix(path.hasSuffix("/") ? path : path + "/")
        }
        guard let mount = mounts.max(by: { ($0["mountPath"].string ?? "").count < ($1["mountPath"].string ?? "").count }),
              let path = mount["mountPath"].string, let volume = volume(mountedAt: path) else { return nil }
        return (mount, volume)
    }

    /// A container environment variable's definition, by name.
    func environment(_ name: String) -> YAMLTree? {
        container["env"].items.first { $0["name"].string == name }
    }
}

/// Every object in `deploy/kubernetes/*.yaml`, parsed with Yams, in file order.
struct KubernetesManifests {
    let objects: [KubernetesObject]

    /// The folder of the manifests in this clone.
    static var folder: URL { RepositoryFiles.root.appendingPathComponent("deploy/kubernetes") }

    /// Parses every `.yaml` file in the folder (each may hold several documents).
    static func load() throws -> KubernetesManifests {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        var objects: [KubernetesObject] = []
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for document in try Yams.load_all(yaml: text) {
                objects.append(KubernetesObject(file: file, tree: YAMLTree(document)))
            }
        }
        return KubernetesManifests(objects: objects)
    }

    func all(_ kind: String) -> [KubernetesObject] { objects.filter { $0.kind == kind } }

    /// The one object of `kind` named `name` in `file`.
    func object(_ kind: String, _ name: String, in file: String? = nil) throws -> KubernetesObject {
        try #require(objects.first { $0.kind == kind && $0.name == name && (file == nil || $0.file == file) },
                     "no \(kind)/\(name)\(file.map { " in \($0)" } ?? "")")
    }

    var agent: KubernetesObject { get throws { try object("DaemonSet", "tapster-agent") } }
    /// The server on PostgreSQL (server-postgresql.yaml) and its alternative on SQLite (server-sqlite.yaml).
    var postgresqlServer: KubernetesObject { get throws { try object("Deployment", "tapster-server", in: "server-postgresql.yaml") } }
    var sqliteServer: KubernetesObject { get throws { try object("Deployment", "tapster-server", in: "server-sqlite.yaml") } }
    var servers: [KubernetesObject] { get throws { [try postgresqlServer, try sqliteServer] } }
}

/// Files of this clone (the test sources are at `Tests/DeploymentTests/`).
enum RepositoryFiles {
    static var root: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }

    /// A script in `scripts/`.
    static func script(_ name: String) -> String { root.appendingPathComponent("scripts/\(name)").path }
}

extension Dictionary where Key == String, Value == String {
    /// Whether every pair of `self` is in `other`: a label selector's `matchLabels` selecting `other`.
    func selects(_ other: [String: String]) -> Bool {
        !isEmpty && allSatisfy { other[$0.key] == $0.value }
    }
}
