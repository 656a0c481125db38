@testable import TapsterAgent
import Testing

/// A tap ends at its deadline on the wall clock or once its time left has passed on the monotonic clock, whichever
/// comes first: a clock stepped back cannot stretch it.
@Suite struct TapDeadlineTests {
    private static let second: UInt64 = 1_000_000_000
    /// Begun at wall clock 1,000 s and monotonic 50 s, with 100 s left.
    private static let begun = TapDeadline(wall: 1_100 * second, wallNow: 1_000 * second, monotonicNow: 50 * second)

    @Test func withBothClocksAgreeingTheTimeLeftIsTheDeadlinesDistance() {
        #expect(Self.begun.remaining(wallNow: 1_040 * Self.second, monotonicNow: 90 * Self.second) == 60 * Self.second)
        #expect(Self.begun.remaining(wallNow: 1_100 * Self.second, monotonicNow: 150 * Self.second) == 0)
    }

    @Test func aClockSteppedBackDoesNotStretchTheTap() {
        // 100 s have passed, but the wall clock was stepped back by 30 s: it reads only 70 s later.
        #expect(Self.begun.remaining(wallNow: 1_070 * Self.second, monotonicNow: 150 * Self.second) == 0)
        #expect(Self.begun.remaining(wallNow: 1_040 * Self.second, monotonicNow: 140 * Self.second) == 10 * Self.second)
    }

    @Test func aClockSteppedForwardEndsTheTapAtItsWallDeadline() {
        #expect(Self.begun.remaining(wallNow: 1_100 * Self.second, monotonicNow: 60 * Self.second) == 0)
    }

    @Test func aDeadlinePassedWhenBegunIsReachedAtOnce() {
        let late = TapDeadline(wall: 900 * Self.second, wallNow: 1_000 * Self.second, monotonicNow: 50 * Self.second)
        #expect(late.remaining(wallNow: 1_000 * Self.second, monotonicNow: 50 * Self.second) == 0)
    }
}
