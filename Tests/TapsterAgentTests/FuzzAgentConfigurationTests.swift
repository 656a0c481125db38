import TapsterSystemTestSupport
import Testing
@testable import TapsterAgent

/// `agent.yaml` is the one file an agent host's administrator writes: whatever it holds, the agent reads
/// a configuration whose labels are valid or refuses it with an error naming the file, never a trap.
@Suite("agent configuration parser under fuzzing")
struct FuzzAgentConfigurationTests {
    static let pieces = ["labels:", "workloads:", "namespaces:", "host_interfaces:", "process_namespaces:", "match:", "netns:",
                         "interface:", "process:", "uid:", "exe:", "\n", "\n  ", "\n    ", "- ", "{", "}", "[", "]", ",", ": ", "\"", "'", "*", "web*",
                         "app", "web", "true", "no", "~", "null", "&a ", "*a", "!!str ", "!!binary ", "? ", "|", ">", "#", "%YAML 1.2\n---\n",
                         "é", "\t", "\u{0}", "1e999", "0x10", "-", "...", "<<: *a", String(repeating: "k", count: 70)]

    static func yaml(_ random: inout FuzzGenerator) -> String {
        if random.oneIn(2) {
            let example = Array(ConfigurationTests.example.utf8)
            return String(decoding: random.mutate(example), as: UTF8.self)
        }
        return (0..<random.index(30)).map { _ in pieces[random.index(pieces.count)] }.joined()
    }

    @Test("any file is read into valid labels and patterns, or refused with an error naming the file")
    func randomFiles() throws {
        let run = FuzzRun("agent configuration", cases: 3000)
        try run.forEachCase { random, fuzzCase in
            let text = Self.yaml(&random)
            let configuration: AgentConfiguration
            do throws(AgentConfigurationError) {
                configuration = try AgentConfiguration(yaml: text, file: "agent.yaml")
            } catch {
                #expect(error.file == "agent.yaml" && !error.problem.isEmpty, "\(fuzzCase): \(text.debugDescription)")
                return
            }
            let labels = [configuration.hostLabels] + configuration.workloadRules.map(\.labels)
            for (key, value) in labels.flatMap({ $0 }) {
                #expect(key.allSatisfy { $0.isASCII } && value.allSatisfy { $0.isASCII }, "\(fuzzCase): \(text.debugDescription)")
            }
        }
    }
}
