import Foundation

/// The `tapster` executable built beside this test binary (`.build/debug/tapster`), or the one
/// `TAPSTER_BINARY` names.
public enum TapsterBinary {
    public static var path: String? {
        if let path = ProcessInfo.processInfo.environment["TAPSTER_BINARY"], !path.isEmpty { return path }
        let candidates = [Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments[0])]
            .compactMap { $0?.resolvingSymlinksInPath() }
        for executable in candidates {
            var directory = executable.deletingLastPathComponent()
            // The test binary may sit inside a bundle (`…/debug/tapsterPackageTests.xctest/Contents/MacOS`).
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("tapster").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }
}
