import TapsterCore
import TapsterStore

extension CaptureService {
    /// Bytes kept back from a stored capture's allowance for the blocks that are not packets (section and
    /// interface descriptions, statistics, comments), so that the file stays within the quota.
    static let storedBytesFraming: UInt64 = 64 << 10

    /// What a new stored capture of `capture`'s tenant may write under the tenant's stored-bytes quota —
    /// the quota less what its stored captures hold (finished ones: their size; running ones: their own
    /// allowance, reserved for them) — or nil when the tenant has no quota. Throws `quota_exceeded` when
    /// nothing is left. Runs in the transaction that opens the capture, under the admission gate, so two
    /// captures never reserve the same bytes.
    static func storedBytesAllowance(for capture: Capture, session: any StoreSession) async throws -> UInt64? {
        guard let name = capture.tenant, let tenant = try await session.find(name, in: .tenants),
              let quota = tenant.spec.storedBytesQuota else { return nil }
        let held = try await session.listCaptures(CaptureQuery(tenants: [name], states: [.live, .complete]))
            .filter { $0.mode == .store && $0.id != capture.id }
            .reduce(UInt64(0)) { total, stored in
                let bytes = stored.state == .live ? max(stored.storedBytesAllowance ?? 0, UInt64(max(stored.size, 0))) : UInt64(max(stored.size, 0))
                return total &+ bytes
            }
        guard held < quota, quota - held > storedBytesFraming else {
            throw TapsterError(.quotaExceeded, "tenant \(name) holds \(ByteCount(bytes: held)) of stored captures, its quota is "
                               + "\(ByteCount(bytes: quota)); delete stored captures (tapster capture delete) or ask an admin to raise it")
        }
        return quota - held - storedBytesFraming
    }
}
