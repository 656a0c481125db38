import Foundation

/// A small, fast, seeded pseudo-random generator (SplitMix64) for fuzz tests: the same seed gives the
/// same inputs on every machine, so a failure is reproduced by running again with its seed.
public struct FuzzGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `1 / n`.
    public mutating func oneIn(_ n: Int) -> Bool { Int.random(in: 0..<n, using: &self) == 0 }

    /// A uniformly chosen index of `count` (which must be positive).
    public mutating func index(_ count: Int) -> Int { Int.random(in: 0..<count, using: &self) }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// A string of up to `maximumLength` characters drawn from `alphabet`.
    public mutating func string(from alphabet: [Character], maximumLength: Int) -> String {
        let length = Int.random(in: 0...maximumLength, using: &self)
        return String((0..<length).map { _ in alphabet[index(alphabet.count)] })
    }

    /// 32-bit values that break length arithmetic: zero, tiny, unaligned, sign boundaries, all ones.
    public static let hostileLengths: [UInt32] = [0, 1, 3, 4, 7, 8, 11, 12, 16, 27, 28, 31, 32, 0x7FFF_FFFF, 0x8000_0000,
                                                  0xFFFF_FFF0, 0xFFFF_FFFC, 0xFFFF_FFFF, 0x0400_0000, 0x0400_0004, 65535, 65536]

    /// `input` changed by 1 to 4 random edits: bit flips, byte overwrites, a hostile 32-bit value at a
    /// 4-byte boundary (where pcapng keeps its lengths), truncation, a duplicated or removed range, or
    /// random bytes inserted.
    public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &self) {
            switch index(7) {
            case 0 where !bytes.isEmpty:
                bytes[index(bytes.count)] ^= UInt8(1) << UInt8(index(8))
            case 1 where !bytes.isEmpty:
                bytes[index(bytes.count)] = UInt8.random(in: 0...255, using: &self)
            case 2 where bytes.count >= 4:
                let at = index(bytes.count / 4) * 4
                var value = Self.hostileLengths[index(Self.hostileLengths.count)]
                if oneIn(2) { value = value.byteSwapped }
                withUnsafeBytes(of: value) { bytes.replaceSubrange(at..<at + 4, with: $0) }
            case 3 where !bytes.isEmpty:
                bytes.removeLast(index(bytes.count) + 1)
            case 4 where !bytes.isEmpty:
                let start = index(bytes.count), end = min(bytes.count, start + 1 + index(64))
                bytes.insert(contentsOf: bytes[start..<end], at: index(bytes.count + 1))
            case 5 where !bytes.isEmpty:
                let start = index(bytes.count), end = min(bytes.count, start + 1 + index(64))
                bytes.removeSubrange(start..<end)
            default:
                bytes.insert(contentsOf: self.bytes(1 + index(16)), at: index(bytes.count + 1))
            }
        }
        return bytes
    }
}

/// One fuzz run: its seed (from `TAPSTER_FUZZ_SEED` when set, decimal or `0x` hex, else the test's fixed
/// default) and a bounded number of cases, each with its own generator derived from the seed and the
/// case number.
///
/// ```swift
/// let run = FuzzRun("pcapng reader", cases: 3000)       // prints the seed before the first case
/// run.forEachCase { random, fuzzCase in
///     #expect(..., "\(fuzzCase)")                         // "pcapng reader: seed 0x… case 17" names a failure
/// }
/// ```
public struct FuzzRun: Sendable {
    /// The variable that overrides every fuzz test's seed.
    public static let seedVariable = "TAPSTER_FUZZ_SEED"
    /// Set (to anything) to print each case's number before it runs: the last one printed is the one
    /// that crashed.
    public static let verboseVariable = "TAPSTER_FUZZ_VERBOSE"
    private static let verbose = ProcessInfo.processInfo.environment[verboseVariable] != nil

    public let name: String
    public let seed: UInt64
    public let cases: Int

    /// A run of `cases` cases with the environment's seed or `defaultSeed`; prints it, so that even a
    /// crash leaves the seed in the log.
    public init(_ name: String, cases: Int, defaultSeed: UInt64 = 0x7A95_7E12_2026_0009) {
        self.name = name
        self.cases = cases
        self.seed = Self.environmentSeed() ?? defaultSeed
        print("fuzz \(name): seed 0x\(String(seed, radix: 16)), \(cases) cases (\(Self.seedVariable)=0x\(String(seed, radix: 16)) repeats it)")
    }

    /// Case `number` of this run, for failure messages.
    public struct Case: Sendable, CustomStringConvertible {
        public let run: String
        public let seed: UInt64
        public let number: Int
        public var description: String {
            "fuzz \(run): seed 0x\(String(seed, radix: 16)) case \(number) (\(FuzzRun.seedVariable)=0x\(String(seed, radix: 16)))"
        }
    }

    /// Case `number`'s generator (its own stream, derived from the run's seed) and its description.
    private func start(_ number: Int) -> (FuzzGenerator, Case) {
        var mixer = FuzzGenerator(seed: seed ^ (UInt64(number) &* 0xD1B5_4A32_D192_ED03))
        let fuzzCase = Case(run: name, seed: seed, number: number)
        if Self.verbose { print(fuzzCase) }
        return (FuzzGenerator(seed: mixer.next()), fuzzCase)
    }

    /// Calls `body` for every case with that case's generator; an error thrown is rethrown with the seed
    /// and case number in it.
    public func forEachCase(_ body: (inout FuzzGenerator, Case) throws -> Void) throws {
        for number in 0..<cases {
            let (generator, fuzzCase) = start(number)
            var random = generator
            do {
                try body(&random, fuzzCase)
            } catch {
                throw FuzzFailure(fuzzCase: fuzzCase, error: error)
            }
        }
    }

    /// The same, for bodies that await.
    public func forEachAsyncCase(_ body: (inout FuzzGenerator, Case) async throws -> Void) async throws {
        for number in 0..<cases {
            let (generator, fuzzCase) = start(number)
            var random = generator
            do {
                try await body(&random, fuzzCase)
            } catch {
                throw FuzzFailure(fuzzCase: fuzzCase, error: error)
            }
        }
    }

    private static func environmentSeed() -> UInt64? {
        guard let text = ProcessInfo.processInfo.environment[seedVariable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return nil
        }
        if text.lowercased().hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }
}

/// An unexpected error in a fuzz case, with the seed and case that reproduce it.
public struct FuzzFailure: Error, CustomStringConvertible {
    public let fuzzCase: FuzzRun.Case
    public let error: any Error
    public var description: String { "\(fuzzCase): \(error)" }
}
