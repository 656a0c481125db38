import Synchronization
import TapsterCore
import Testing
@testable import TapsterAgent

/// What the scanner is given while a container runtime fails: its last answer for a while, then nothing.
///
/// The platform here answers from a script (success, then failures), since making a real runtime fail on
/// cue is what these rules are about, not the runtime; the real CRI and Docker paths have their own tests.
@Suite("Platform answers")
struct PlatformAnswersTests {
    /// A platform that answers `web` once, then fails at every call.
    final class FailingAfterOneAnswer: PlatformInventory {
        let calls = Mutex(0)
        static let web = PlatformWorkload(name: "shop/web", kind: .pod, labels: ["app": "web"], networkNamespacePath: nil,
                                          platform: PlatformIdentity(runtime: "cri", namespace: "shop", uid: "u1", hostNetwork: true))
        var description: String { "cri unix:///scripted.sock" }
        func workloads() async throws -> [PlatformWorkload] {
            let call = calls.withLock { calls in defer { calls += 1 }; return calls }
            guard call == 0 else { throw CRIScriptFailure() }
            return [Self.web]
        }
    }
    struct CRIScriptFailure: Error {}

    @Test("a platform that fails after answering is given its last answer while that is younger than the limit")
    func lastAnswerStandsIn() async {
        let answers = PlatformAnswers(platforms: [FailingAfterOneAnswer()], staleAnswerLimit: .seconds(3600))

        let first = await answers.forScan()
        let second = await answers.forScan()

        #expect(first == [FailingAfterOneAnswer.web])
        #expect(second == [FailingAfterOneAnswer.web])
    }

    @Test("a platform that fails longer than the limit has its workloads left out")
    func staleAnswerIsLeftOut() async {
        let answers = PlatformAnswers(platforms: [FailingAfterOneAnswer()], staleAnswerLimit: .zero)

        _ = await answers.forScan()
        let second = await answers.forScan()

        #expect(second.isEmpty)
    }
}
