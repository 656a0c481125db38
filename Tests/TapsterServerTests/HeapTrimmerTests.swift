#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import TapsterServer

/// The server's periodic heap trim: memory freed below a block still in use goes back to the kernel.
@Suite("Heap trimmer")
struct HeapTrimmerTests {
    /// The blocks: each under glibc's mmap threshold (128 KiB unless raised), so they come from an arena, and
    /// spanning several pages each, so each has whole pages inside it whatever its alignment.
    static let blockSize = 32 << 10
    static let blockCount = 256

    @Test("a trim gives back the whole pages of blocks freed below a block still in use, which free() keeps resident")
    func trimReleasesFreedPagesBelowALiveBlock() throws {
        try #require(HeapTrimmer.isAvailable)
        // Where malloc puts the blocks depends on what the rest of the process left in the arena (in a full suite,
        // free() once released 46 % of them itself), and other tests allocate meanwhile and may take the freed memory
        // back before it is measured (once 70 % of it was resident again after the trim): a round — blocks drawn,
        // freed below a pin, trimmed, measured — is drawn again, up to 5 times, until one shows what the trim is for.
        var pins: [UnsafeMutableRawPointer] = []
        defer { pins.forEach { free($0) } }
        var rounds: [(afterFree: Double, afterTrim: Double?)] = []
        while rounds.count < 5, !rounds.contains(where: { $0.afterFree > 0.9 && ($0.afterTrim ?? 1) < 0.5 }) {
            let (pin, interiors) = Self.blocksFreedBelowAPin()
            pins.append(pin)
            let afterFree = Self.residentFraction(of: interiors)
            guard afterFree > 0.9 else {
                rounds.append((afterFree, nil))
                continue
            }
            // At once, on this thread: on the blocking pool, behind a full suite's bcrypt hashes, the trim came 40 s
            // later, when other tests' allocations had taken the freed memory back.
            _ = HeapTrimmer.trimBlocking()
            rounds.append((afterFree, Self.residentFraction(of: interiors)))
        }

        // Fractions, not zero: other tests allocate meanwhile.
        #expect(rounds.contains { $0.afterFree > 0.9 && ($0.afterTrim ?? 1) < 0.5 },
                "resident fractions of the freed pages (after free, after the trim), by round: \(rounds)")
    }

    /// Allocates `blockCount + 1` blocks, touches them, and frees all but the highest, which it returns with the
    /// page-aligned interiors of the freed ones. The highest stays: it keeps the others from reaching their arena's
    /// top, which free() releases.
    static func blocksFreedBelowAPin() -> (pin: UnsafeMutableRawPointer, freed: [(start: UnsafeMutableRawPointer, length: Int)]) {
        var blocks = (0...blockCount).map { _ in malloc(blockSize)! }
        for block in blocks { memset(block, 0xA5, blockSize) }
        let pin = blocks.remove(at: blocks.indices.max { blocks[$0] < blocks[$1] }!)
        let interiors = blocks.map(interiorPages(of:))
        for block in blocks { free(block) }
        return (pin, interiors)
    }

    /// The page-aligned range strictly inside `block` (its first byte and length).
    static func interiorPages(of block: UnsafeMutableRawPointer) -> (start: UnsafeMutableRawPointer, length: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: block) + page - 1) / page * page
        let end = (Int(bitPattern: block) + blockSize) / page * page
        return (UnsafeMutableRawPointer(bitPattern: first)!, end - first)
    }

    /// The share of the pages in `ranges` that are resident (`mincore`).
    static func residentFraction(of ranges: [(start: UnsafeMutableRawPointer, length: Int)]) -> Double {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var resident = 0, total = 0
        for range in ranges where range.length > 0 {
            var vector = [UInt8](repeating: 0, count: range.length / page)
            guard mincore(range.start, range.length, &vector) == 0 else { continue }
            resident += vector.count { $0 & 1 == 1 }
            total += vector.count
        }
        return total == 0 ? 0 : Double(resident) / Double(total)
    }
}
