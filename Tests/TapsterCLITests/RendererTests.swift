import Foundation
import TapsterSystemTestSupport
import Testing
import TapsterClient
import TapsterCore

@Suite("Rendering")
struct RendererTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func tap(state: TapState = .active, createdSecondsAgo: TimeInterval = 1, duration: Int64 = 900) -> Tap {
        Tap(id: "5f0c8a2e-0000-4000-8000-000000000001", tenant: "shop", owner: "alice", filter: "web", target: "tool",
            state: state, duration: TapDuration(seconds: duration), createdAt: now.addingTimeInterval(-createdSecondsAgo),
            matchedWorkloads: 3)
    }

    func answer<T: Encodable & Sendable>(_ value: T) throws -> APIResponse<T> {
        APIResponse(value: value, json: try JSONValue(data: TapsterJSON.encoder().encode(value)))
    }

    @Test func tableHasUppercaseHeadersAlignedColumnsAndNoneForEmptyCells() {
        let table = TextTable(headers: ["Name", "Kind", "Tenant"], rows: [["web", "erspan", ""], ["a-much-longer-name", "vxlan", "shop"]])
        #expect(table.render() == """
            NAME                 KIND     TENANT
            web                  erspan   <none>
            a-much-longer-name   vxlan    shop

            """)
    }

    @Test func tapTableShowsStateAndDeadlineAsInMinutes() throws {
        let out = try Renderer(format: .table, now: now).render(try answer(tap()))
        let lines = out.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("ID"))
        #expect(lines[0].contains("STATE") && lines[0].contains("DEADLINE") && lines[0].contains("WORKLOADS"))
        #expect(lines[1].contains("active"))
        #expect(lines[1].contains("in 14m"))
        #expect(lines[1].hasSuffix("1s"))
    }

    @Test func endedTapShowsWhoStoppedItAndWhen() throws {
        var stopped = try tap(createdSecondsAgo: 600).applying(.stop(by: .admin, actor: "root"), at: now.addingTimeInterval(-120))
        stopped.agents = [TapAgentStatus(agent: "node-1", state: .stopped, packets: 10, bytes: 1500, drops: 2, updatedAt: now.addingTimeInterval(-60))]
        let out = try Renderer(format: .table, now: now).render(try answer(stopped))
        #expect(out.contains("stopped by admin"))
        #expect(out.contains("ended 2m ago"))
        #expect(out.contains("Agents:"))
        #expect(out.contains("node-1") && out.contains("1500") && out.contains("DROPS"))
    }

    @Test func jsonIsTheAPIsDocumentPrettyWithSortedKeys() throws {
        let document = #"{"zeta":1,"alpha":{"b":true,"a":null},"items":[1.5,"x"]}"#
        let value = try JSONValue(data: Data(document.utf8))
        let out = try Renderer(format: .json).render(APIResponse(value: [Agent](), json: value))
        #expect(out == """
            {
              "alpha" : {
                "a" : null,
                "b" : true
              },
              "items" : [
                1.5,
                "x"
              ],
              "zeta" : 1
            }

            """)
    }

    @Test func jsonKeepsFieldsTheClientDoesNotModel() throws {
        let document = #"{"id":"x","name":"n","state":"connected","created_at":"2026-01-01T00:00:00.000Z","future_field":42}"#
        let value = try JSONValue(data: Data(document.utf8))
        let agent = try TapsterJSON.decoder().decode(Agent.self, from: Data(document.utf8))
        let out = try Renderer(format: .json).render(APIResponse(value: agent, json: value))
        #expect(out.contains(#""future_field" : 42"#))
    }

    @Test func yamlHasTheSameKeysAndQuotesAmbiguousStrings() throws {
        let document = #"{"name":"true","count":7,"code":"007","labels":{"app":"web"},"tags":[],"nothing":null}"#
        let out = try JSONValue(data: Data(document.utf8)).yaml()
        #expect(out == """
            code: '007'
            count: 7
            labels:
              app: web
            name: 'true'
            nothing: null
            tags: []

            """)
    }

    @Test func nameOutputIsKindSlashName() throws {
        let target = Target(createdAt: now, spec: TargetSpec(name: "tool", kind: .stream))
        #expect(try Renderer(format: .name).render(try answer(target)) == "target/tool\n")
        let list = APIResponse(value: [tap(), tap()], json: .null)
        #expect(try Renderer(format: .name).render(list) == "tap/\(tap().id)\ntap/\(tap().id)\n")
    }

    @Test func emptyListPrintsNothingAndSaysSoLikeKubectl() throws {
        let empty = APIResponse(value: [Tap](), json: .object(["items": .array([])]))
        let renderer = Renderer(format: .table)
        #expect(try renderer.render(empty) == "")
        #expect(renderer.emptyMessage(for: empty) == "No taps found.")
        #expect(Renderer(format: .json).emptyMessage(for: empty) == nil)
        #expect(try Renderer(format: .json).render(empty) == "{\n  \"items\" : [\n\n  ]\n}\n")
    }

    static let ages: [(seconds: Double, expected: String)] = [
        (0, "0s"), (45, "45s"), (119, "119s"), (150, "2m30s"), (600, "10m"), (899, "14m"), (3 * 3600 + 5, "3h"),
        (7 * 3600 + 30 * 60, "7h30m"), (30 * 3600, "30h"), (3 * 86_400 + 3600, "3d1h"), (40 * 86_400, "40d"),
        (800 * 86_400, "2y70d"), (-5, "0s"),
    ]

    @Test(arguments: ages)
    func agesAreKubectlStyle(seconds: Double, expected: String) {
        #expect(RelativeTime.human(seconds) == expected)
    }

    @Test func deadlinesReadAsInOrAgo() {
        #expect(RelativeTime.until(now.addingTimeInterval(899), now: now) == "in 14m")
        #expect(RelativeTime.until(now.addingTimeInterval(-90), now: now) == "90s ago")
    }
}
