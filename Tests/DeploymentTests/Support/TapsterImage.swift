import Foundation
import TapsterSystemTestSupport
import Testing

/// The `tapster` image as `scripts/build-image.sh --binary <this run's tapster>` makes it, built once for a
/// suite that carries the ``TapsterImageTrait`` (`@Suite(.tapsterImage)`) and removed after it: the build
/// packs a 200 MB debug binary, too slow to repeat per test.
struct TapsterImage: Sendable {
    /// `tapster-image-test:<8 hex digits>`, unique to this build.
    let name: String
    /// The OCI archive.
    let archive: String
    /// The name every runtime gives it once loaded (a bare name is Docker Hub's library).
    var reference: String { "docker.io/library/\(name)" }

    @TaskLocal static var current: TapsterImage?

    /// The image of the running suite.
    static func built() throws -> TapsterImage {
        try #require(current, "the suite has no .tapsterImage trait")
    }
}

/// Builds the ``TapsterImage`` before its suite's tests and removes the archive after them.
struct TapsterImageTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let scratch = try ScratchDirectory(label: "tapster-image")
        defer { scratch.remove() }
        let name = ImageScripts.uniqueName("tapster-image-test")
        let archive = try ImageScripts.buildTapsterImage(name: name, to: scratch.url.appendingPathComponent("tapster.tar"))
        try await TapsterImage.$current.withValue(TapsterImage(name: name, archive: archive)) {
            try await function()
        }
    }
}

extension Trait where Self == TapsterImageTrait {
    /// The suite's tests share one ``TapsterImage``, built before them.
    static var tapsterImage: Self { Self() }
}
