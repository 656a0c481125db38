/// `1 workload`, `3 workloads`.
enum Plural {
    static func count(_ n: Int, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }
}
