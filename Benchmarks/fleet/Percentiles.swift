/// Nearest-rank percentiles of a sample.
struct Percentiles {
    private let sorted: [Double]

    init(_ sample: [Double]) {
        sorted = sample.sorted()
    }

    var count: Int { sorted.count }

    /// The smallest value with at least `p` % of the sample at or below it.
    func at(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    var max: Double { sorted.last ?? .nan }
}
