@testable import TapsterAgent
import Testing

/// The kernel's 32-bit drop and overlimit counts, widened: a long tap's counters never fall back.
@Suite struct WidenedCountTests {
    @Test func countsBelowTheWrapAreTheKernelsOwn() {
        var count = WidenedCount()

        #expect(count.update(0) == 0)
        #expect(count.update(7) == 7)
        #expect(count.update(2_000_000_000) == 2_000_000_000)
        #expect(count.update(4_000_000_000) == 4_000_000_000)
    }

    @Test func aCountThatWrappedGoesOnPastTwoToTheThirtyTwo() {
        var count = WidenedCount()
        count.update(1_500_000_000)
        count.update(3_000_000_000)
        count.update(4_294_967_000)

        #expect(count.update(100) == 4_294_967_396)
        #expect(count.update(2_000_000_100) == 6_294_967_396)
        #expect(count.update(4_000_000_100) == 8_294_967_396)
        #expect(count.update(5) == 8_589_934_597, "wrapped twice")
    }

    /// Readings apart by more than half the range are still progress: a mirror cut off from the server is read only
    /// by its own sampling.
    @Test func aStepOfMoreThanHalfTheRangeIsCounted() {
        var count = WidenedCount()

        #expect(count.update(3_000_000_000) == 3_000_000_000)
        #expect(count.update(100) == 4_294_967_396)
    }

    @Test func onlyTheLowThirtyTwoBitsAreTheKernels() {
        var count = WidenedCount()

        #expect(count.update(1 << 32 | 3) == 3)
    }
}
