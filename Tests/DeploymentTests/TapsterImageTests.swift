import Foundation
import TapsterSystemTestSupport
import Testing

/// `scripts/build-image.sh`: the `tapster` image from this run's binary and exactly the libraries it loads,
/// imported into the run's real containerd (as onto a Kubernetes node) and Podman, and run there.
@Suite("Tapster image", .serialized, .timeLimit(.minutes(10)), .tapsterImage)
struct TapsterImageTests {
    @Test func theImageImportedIntoContainerdPrintsTheVersion() throws {
        let image = try TapsterImage.built()
        let containerd = ContainerdClient(socket: try Containerd.socket())
        // The namespace kubelet's images live in, as README's `ctr -n k8s.io images import` does.
        try containerd.run(["images", "import", image.archive])
        defer { containerd.removeImage(image.reference) }
        let container = "tapster-image-test-\(UUID().uuidString.prefix(8).lowercased())"
        defer { containerd.removeContainer(container) }
        let version = try containerd.run(["run", "--rm", image.reference, container, "/usr/local/bin/tapster", "--version"])
        #expect(version.stdout == "\(try BuiltTapster.version())\n")
    }

    @Test func theImageRunsItsEntrypointAsAUserWithoutPasswdOnAReadOnlyRoot() throws {
        let image = try TapsterImage.built()
        try Podman.run(["load", "-i", image.archive])
        defer { _ = try? Podman.run(["rmi", "-f", image.reference]) }
        // As the server's Deployment runs it: user 65532 (the image has no /etc/passwd), a read-only root,
        // arguments after the entrypoint.
        let version = try Podman.run(["run", "--rm", "--network", "none", "--user", "65532:65532", "--read-only", image.name, "--version"])
        #expect(version.stdout == "\(try BuiltTapster.version())\n")
    }

    @Test func theImageHoldsTheBinaryItsResourcesAndTheLibrariesItLoadsAndNoShellOrUsers() throws {
        let image = try TapsterImage.built()
        let scratch = try ScratchDirectory(label: "tapster-image-layout")
        defer { scratch.remove() }
        let layout = try OCILayout(unpacking: image.archive, into: scratch.url)
        let files = try layout.files(inOnlyLayerOf: try #require(try layout.manifests().first))
        let binary = try BuiltTapster.path()
        // tapster-agent, built beside tapster, goes into the image too (the script leaves it out only when it is not there).
        let agentBinary = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("tapster-agent").path
        let executables = FileManager.default.isExecutableFile(atPath: agentBinary) ? [binary, agentBinary] : [binary]
        // Every file ldd names for either (the loader too), at the path the loader looks in.
        let libraries = try executables.flatMap { executable in
            try ProcessRunner.run(["ldd", executable]).stdout.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.count >= 3, fields[1] == "=>", fields[2].hasPrefix("/") { return String(fields[2].dropFirst()) }
                if let first = fields.first, first.hasPrefix("/") { return String(first.dropFirst()) }
                return nil
            }
        }
        let bundles = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: binary).deletingLastPathComponent().path)
            .filter { $0.hasSuffix(".resources") && !$0.hasSuffix("Tests.resources") }
        #expect(!libraries.isEmpty && !bundles.isEmpty)
        let inBundles = { (file: String) in bundles.contains { file.hasPrefix("usr/local/bin/\($0)/") } }
        let regularFiles = Set(files.filter { !$0.hasSuffix("/") && !inBundles($0) })
        // (and the one symbolic link, /var/run -> /run)
        let binaries = executables.map { "usr/local/bin/" + URL(fileURLWithPath: $0).lastPathComponent }
        #expect(regularFiles == Set(libraries + binaries + ["etc/ssl/certs/ca-certificates.crt", "var/run"]))
        for bundle in bundles {
            #expect(files.contains("usr/local/bin/\(bundle)/"), "\(bundle)")
        }
        #expect(!files.contains("etc/passwd") && !files.contains("bin/sh"))
        #expect(files.contains("tmp/") && files.contains("run/"))
    }

    @Test func theServerInTheImageServesItsAPIAndOpenAPIDocumentAsTheDeploymentRunsIt() async throws {
        let image = try TapsterImage.built()
        try Podman.run(["load", "-i", image.archive])
        defer { _ = try? Podman.run(["rmi", "-f", image.reference]) }
        let scratch = try ScratchDirectory(label: "tapster-image-server")
        defer { scratch.remove() }
        // The Deployment's volume: owned by root, writable by the pod's group (fsGroup).
        let volume = scratch.path + "/volume"
        try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
        try ProcessRunner.run(["chgrp", "65532", volume])
        try ProcessRunner.run(["chmod", "2775", volume])
        let container = "tapster-image-server-\(UUID().uuidString.prefix(8).lowercased())"
        // On the test network with the Deployment's own listen addresses: no host port to collide with.
        try Podman.run(["run", "-d", "--name", container, "--user", "65532:65532",
                        "--read-only", "--tmpfs", "/tmp", "-v", "\(volume):/var/lib/tapster",
                        "-e", "TAPSTER_ADMIN_TOKEN=image-test-admin-token-0123456789",
                        image.name, "serve", "--listen=0.0.0.0:7380", "--agent-listen=0.0.0.0:7381",
                        "--data-dir=/var/lib/tapster/data"])
        defer { _ = try? Podman.run(["rm", "-f", "-t", "0", container]) }
        let address = try Podman.run(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", container]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let api = "http://\(address):7380"
        let document = try await eventually("the server in the image answering /api/v1/openapi.yaml") { () async throws -> String? in
            let running = try Podman.run(["inspect", "-f", "{{.State.Running}}", container]).stdout
            if running.hasPrefix("false") {
                let logs = try Podman.run(["logs", container])
                throw ContainerStopped(name: container, log: logs.stdout + logs.stderr)
            }
            let answer = try ProcessRunner.run(["curl", "-sf", "\(api)/api/v1/openapi.yaml"], allowFailure: true)
            return answer.status == 0 ? answer.stdout : nil
        }
        #expect(document.hasPrefix("openapi:"))
        let ready = try ProcessRunner.run(["curl", "-s", "\(api)/readyz"]).stdout
        #expect((try JSONSerialization.jsonObject(with: Data(ready.utf8)) as? [String: Any])?["ready"] as? Bool == true, "\(ready)")
        let whoami = try ProcessRunner.run(["curl", "-s", "-H", "Authorization: Bearer image-test-admin-token-0123456789",
                                            "\(api)/api/v1/whoami"]).stdout
        #expect(whoami.contains("\"admin\""), "\(whoami)")
    }
    /// The DaemonSet on a node, as near as a machine without kubelet gets: the image run with the manifest's
    /// arguments, capabilities (and no others), host PID and network, read-only root and mounts — the CRI
    /// socket's directory is the run's containerd's — reports a pod created through the CRI with its IP,
    /// which it can only read by entering the pod's network namespace.
    @Test func theAgentInTheImageWithTheDaemonSetsCapabilitiesAndMountsReportsANodesPod() async throws {
        let image = try TapsterImage.built()
        let agent = try KubernetesManifests.load().agent
        try Podman.run(["load", "-i", image.archive])
        defer { _ = try? Podman.run(["rmi", "-f", image.reference]) }
        let socket = try Containerd.socket()
        let criSocket = try #require(agent.argument("--cri-socket"))
        try #require(URL(fileURLWithPath: socket).lastPathComponent == URL(fileURLWithPath: criSocket).lastPathComponent)
        let binary = try BuiltTapster.path()
        try await ServerProcess.with(binary: binary) { server in
            let scratch = try ScratchDirectory(label: "daemonset")
            defer { scratch.remove() }
            let admin = CLI(binary: binary, home: scratch.path + "/admin", server: server.url)
            let node = "node-\(UUID().uuidString.prefix(6).lowercased())"
            let tokens = try JoinTokenSecret(in: scratch)
            try await tokens.addToken(for: node, from: server, admin: admin)
            try FileManager.default.createDirectory(atPath: scratch.path + "/state", withIntermediateDirectories: true)

            // The manifest's arguments, with what kubelet would substitute (the node's address: the server refuses
            // a loopback tunnel address) and this test's server.
            let hostIP = try Self.hostAddress()
            let arguments = agent.container["args"].strings.map { argument in
                argument.hasPrefix("--server=") ? "--server=\(server.agentAddress)"
                    : argument.replacingOccurrences(of: "$(NODE_NAME)", with: node).replacingOccurrences(of: "$(HOST_IP)", with: hostIP)
            }
            let security = agent.container["securityContext"]
            let capabilities = security[path: "capabilities.add"].strings.flatMap { ["--cap-add", $0] }
            // The manifest's mounts, from this test's directories.
            let mountPath = { (file: String) throws -> String in
                try #require(agent.mount(holding: file)?.mount["mountPath"].string, "no mount holds \(file)")
            }
            let runtimeDirectory = try mountPath(criSocket)
            let tokensDirectory = try mountPath(try #require(agent.argument("--join-token-file")))
            let stateDirectory = try mountPath(try #require(agent.argument("--data-dir")) + "/key.pem")
            let container = "tapster-daemonset-\(UUID().uuidString.prefix(8).lowercased())"
            try Podman.run(["run", "-d", "--name", container, "--pid", "host", "--network", "host",
                            "--user", "\(try #require(security["runAsUser"].int))", "--read-only", "--tmpfs", "/tmp",
                            "--cap-drop", "ALL"] + capabilities + [
                            "-v", "\(scratch.path)/state:\(stateDirectory)",
                            "-v", "\(tokens.directory):\(tokensDirectory):ro",
                            "-v", "\(URL(fileURLWithPath: socket).deletingLastPathComponent().path):\(runtimeDirectory):ro",
                            "-v", "/run/netns:/run/netns:ro,rslave"]
                            // The manifest's command (the image's tapster-agent), as kubelet runs it in place of the entrypoint.
                            + agent.container["command"].strings.prefix(1).flatMap { ["--entrypoint", $0] }
                            + [image.name] + agent.container["command"].strings.dropFirst() + arguments)
            defer { _ = try? Podman.run(["rm", "-f", "-t", "0", container]) }

            let namespace = CRIPod.freshNamespace()
            try await CRIPod.with(name: "web", namespace: namespace, labels: ["app": "web"]) { pod in
                let address = try await pod.address()
                try await eventually(every: .milliseconds(500), "the agent in the image to report \(namespace)/web with \(address)") { () async throws -> Bool? in
                    let running = try Podman.run(["inspect", "-f", "{{.State.Running}}", container]).stdout
                    if running.hasPrefix("false") {
                        let logs = try Podman.run(["logs", container])
                        throw ContainerStopped(name: container, log: logs.stdout + logs.stderr)
                    }
                    let listed = try await admin.run(["workload", "list", "-o", "json"], token: server.adminToken)
                    let items = (try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
                    guard let workload = items.first(where: { $0["name"] as? String == "\(namespace)/web" }) else { return nil }
                    let ips = (workload["interfaces"] as? [[String: Any]] ?? []).flatMap { $0["ips"] as? [String] ?? [] }
                    #expect(workload["host"] as? String == node)
                    #expect(workload["kind"] as? String == "pod")
                    return ips.contains(address) ? true : nil
                }
            }
        }
    }
}

extension TapsterImageTests {
    /// This machine's IPv4 address towards the outside (`ip route get`'s `src`), as kubelet's `status.hostIP`.
    static func hostAddress() throws -> String {
        let route = try ProcessRunner.run(["ip", "-4", "route", "get", "1.1.1.1"]).stdout.split(separator: " ")
        let source = try #require(route.firstIndex(of: "src"), "no source address in `ip route get`: \(route)")
        return String(route[route.index(after: source)])
    }
}

/// A container a test waited on stopped; what it logged.
private struct ContainerStopped: Error, CustomStringConvertible {
    let name: String
    let log: String
    var description: String { "container \(name) stopped: \(log)" }
}
