/// Serialises tap admissions in this process, so that two concurrent requests by the same
/// owner cannot both pass the quota check.
actor AdmissionGate {
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await body()
    }
}
