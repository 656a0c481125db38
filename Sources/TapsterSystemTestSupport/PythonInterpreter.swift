import Foundation

/// Which `python3` a system test runs a PyPI tool with: Debian's own comes first on some `PATH`s, while
/// scripts/install-deps.sh pip-installs the tools for the first `python3` of a login shell (pyenv's here).
public enum PythonInterpreter {
    /// The first `python3` on this process's `PATH` that imports `module`, if any.
    public static func importing(_ module: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/python3" }.first { candidate in
            guard FileManager.default.isExecutableFile(atPath: candidate) else { return false }
            return (try? ProcessRunner.run([candidate, "-c", "import \(module)"], allowFailure: true).status) == 0
        }
    }
}
