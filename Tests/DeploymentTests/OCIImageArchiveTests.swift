import Foundation
import TapsterSystemTestSupport
import Testing

/// `scripts/oci-image.sh`: an OCI image archive of a directory, with no registry, base image or daemon,
/// loaded into the run's real Podman and run there.
@Suite("OCI image archives", .serialized, .timeLimit(.minutes(5)))
struct OCIImageArchiveTests {
    @Test func anArchiveOfADirectoryLoadsIntoPodmanAndRunsItsEntrypoint() throws {
        let scratch = try ScratchDirectory(label: "oci-image")
        defer { scratch.remove() }
        let name = ImageScripts.uniqueName("tapster-oci-test")
        let archive = try ImageScripts.archive(of: try ImageScripts.busyboxRootfs(in: scratch.url), name: name,
                                               options: ["--entrypoint", "/bin/busybox"],
                                               to: scratch.url.appendingPathComponent("image.tar"))
        let loaded = try Podman.run(["load", "-i", archive])
        defer { _ = try? Podman.run(["rmi", "-f", "docker.io/library/\(name)"]) }
        #expect(loaded.stdout.contains("docker.io/library/\(name)"), "\(loaded.stdout)")
        let echo = try Podman.run(["run", "--rm", "--network", "none", name, "echo", "hello from the image"])
        #expect(echo.stdout == "hello from the image\n")
    }

    @Test func anArchiveIsAnOCILayoutWhoseDigestsMatchItsBlobsAndWhichNamesItsImage() throws {
        let scratch = try ScratchDirectory(label: "oci-layout")
        defer { scratch.remove() }
        let archive = try ImageScripts.archive(of: try ImageScripts.busyboxRootfs(in: scratch.url), name: "tapster-oci-test:1",
                                               options: ["--entrypoint", "/bin/busybox", "--cmd", "sh"],
                                               to: scratch.url.appendingPathComponent("image.tar"))
        let layout = try OCILayout(unpacking: archive, into: scratch.url.appendingPathComponent("layout"))
        #expect(try layout.json("oci-layout")["imageLayoutVersion"] as? String == "1.0.0")
        let index = try layout.json("index.json")
        let descriptors = try #require(index["manifests"] as? [[String: Any]])
        #expect(descriptors.count == 1)
        let descriptor = try #require(descriptors.first)
        #expect(descriptor["annotations"] as? [String: String] == [
            "org.opencontainers.image.ref.name": "tapster-oci-test:1",
            "io.containerd.image.name": "docker.io/library/tapster-oci-test:1",
        ])
        let manifest = try layout.verifiedBlob(descriptor)
        let config = try layout.verifiedBlob(try #require(manifest["config"] as? [String: Any]))
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        #expect(layers.count == 1)
        let layer = try #require(layers.first)
        _ = try layout.verifiedBlobBytes(layer)
        #expect(layer["mediaType"] as? String == "application/vnd.oci.image.layer.v1.tar+gzip")
        #expect((config["rootfs"] as? [String: Any])?["diff_ids"] as? [String] == ["sha256:\(try layout.uncompressedDigest(layer))"])
        let settings = try #require(config["config"] as? [String: Any])
        #expect(settings["Entrypoint"] as? [String] == ["/bin/busybox"])
        #expect(settings["Cmd"] as? [String] == ["sh"])
        // `docker load` reads manifest.json: the same config and layer, under the image's name.
        let docker = try #require(try layout.jsonArray("manifest.json").first)
        #expect(docker["RepoTags"] as? [String] == ["tapster-oci-test:1"])
        #expect(docker["Config"] as? String == "blobs/sha256/\(OCILayout.hex(of: try #require(manifest["config"] as? [String: Any])))")
        #expect(docker["Layers"] as? [String] == ["blobs/sha256/\(OCILayout.hex(of: layer))"])
    }

    @Test func theSameDirectoryMakesTheSameArchive() throws {
        let scratch = try ScratchDirectory(label: "oci-same")
        defer { scratch.remove() }
        let rootfs = try ImageScripts.busyboxRootfs(in: scratch.url)
        let first = try ImageScripts.archive(of: rootfs, name: "tapster-oci-test:1", to: scratch.url.appendingPathComponent("1.tar"))
        let second = try ImageScripts.archive(of: rootfs, name: "tapster-oci-test:1", to: scratch.url.appendingPathComponent("2.tar"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
    }
}
