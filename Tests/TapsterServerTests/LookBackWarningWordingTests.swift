import Foundation
import TapsterCore
@testable import TapsterServer
import Testing

/// The look-back warning's figure is the gap between the two times it shows, as a reader sees them.
@Suite struct LookBackWarningWordingTests {
    static let t0 = Date(timeIntervalSince1970: 1_795_459_831)

    /// A capture of `before` seconds look-back, started at `startedAt`, whose owner is entitled since `entitledSince`.
    static func capture(startedAt: Date, entitledSince: Date, before: Int64 = 30) throws -> Tap {
        var narrowing = CaptureNarrowing(mode: .stream)
        narrowing.before = try TapDuration(parsing: "\(before)s")
        narrowing.entitledSince = entitledSince
        return Tap(id: "c", tenant: "shop", owner: "alice", filter: "shop-web", target: "stream",
                   duration: try TapDuration(parsing: "1m"), createdAt: startedAt, capture: narrowing)
    }

    /// 0.0495 s apart, shown as …050Z and …100Z: the server once said 0.0 s here, while the times it showed (and a
    /// reader of the tap computing the same from them) said 0.1 s.
    @Test func theGapIsCountedBetweenTheTimesAsShown() throws {
        let tap = try Self.capture(startedAt: Self.t0 + 0.0999, entitledSince: Self.t0 + 0.0504)
        let warnings = CaptureService.lookBackWarnings(of: tap)

        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("the look-back starts at 2026-11-23T18:50:31.050Z, 0.1 s before the capture instead of 30s:") == true)
    }

    /// Tenths are rounded in integers, half up: 30.050 s is 30.1, 30.149 s is 30.1, 30.150 s is 30.2.
    @Test(arguments: [(Int64(30_050), "30.1"), (30_149, "30.1"), (30_150, "30.2"), (0, "0.0"), (49, "0.0"), (50, "0.1")])
    func tenthsAreRoundedHalfUp(milliseconds: Int64, text: String) {
        #expect(CaptureService.secondsInTenths(milliseconds) == text)
    }

    /// An entitlement as old as the look-back asked for narrows nothing, and nothing is said.
    @Test func anEntitlementOlderThanTheLookBackIsNotMentioned() throws {
        let tap = try Self.capture(startedAt: Self.t0 + 30, entitledSince: Self.t0)

        #expect(CaptureService.lookBackWarnings(of: tap).isEmpty)
    }
}
