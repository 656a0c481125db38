import Foundation
import TapsterSystemTestSupport

/// The image scripts as a user runs them: `scripts/oci-image.sh` (an OCI archive from a directory) and
/// `scripts/build-image.sh` (the `tapster` image).
enum ImageScripts {
    /// `scripts/oci-image.sh [options] <rootfs> <name> <output>`; the archive's path (what it prints).
    @discardableResult
    static func archive(of rootfs: URL, name: String, options: [String] = [], to output: URL) throws -> String {
        try ProcessRunner.run([RepositoryFiles.script("oci-image.sh")] + options + [rootfs.path, name, output.path])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `scripts/build-image.sh --binary <this run's tapster> --tag <name> --output <output>`; the archive's path.
    static func buildTapsterImage(name: String, to output: URL) throws -> String {
        try ProcessRunner.run([RepositoryFiles.script("build-image.sh"), "--binary", try BuiltTapster.path(),
                               "--tag", name, "--output", output.path])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A root filesystem holding only busybox-static's binary, at `/bin/busybox`.
    static func busyboxRootfs(in directory: URL) throws -> URL {
        let rootfs = directory.appendingPathComponent("rootfs")
        try FileManager.default.createDirectory(at: rootfs.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs.appendingPathComponent("bin/busybox").path)
        return rootfs
    }

    /// A fresh image name that no other test uses: `<base>:<8 hex digits>`.
    static func uniqueName(_ base: String) -> String {
        "\(base):\(String(format: "%08x", UInt32.random(in: 0...UInt32.max)))"
    }
}
