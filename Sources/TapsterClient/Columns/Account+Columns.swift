import Foundation
import TapsterAPI
import TapsterCore

extension TenantSpec: RenderableSpec {
    public static var resourceKind: String { "tenant" }
    public static var recordColumns: [Column<Tenant>] {
        [Column("NAME") { $0.name }, Column("DESCRIPTION") { $0.spec.description },
         Column("STORED-QUOTA") { $0.spec.storedBytesQuota.map { ByteCount(bytes: $0).description } ?? "" }, .age(\.createdAt)]
    }
    public static func outputName(of record: Tenant) -> String { record.name }
}

extension User: TableRenderable {
    public static var resourceKind: String { "user" }
    public static var columns: [Column<User>] {
        [
            Column("NAME") { $0.name },
            Column("ROLE") { $0.role.rawValue },
            Column("TENANTS") { $0.spec.tenants.joined(separator: ",") },
            Column("QUOTA") { $0.role == .owner ? String($0.spec.effectiveQuota) : "" },
            .age(\.createdAt),
        ]
    }
    public var outputName: String { name }
}

extension APIToken: TableRenderable {
    public static var resourceKind: String { "token" }
    public static var columns: [Column<APIToken>] {
        [
            Column("ID") { $0.id },
            Column("NAME") { $0.name },
            Column("EXPIRES") { token, now in Self.expiry(token.expiresAt, now: now) },
            Column("LAST USED") { token, now in token.lastUsedAt.map { RelativeTime.age(of: $0, now: now) + " ago" } ?? "never" },
            .age(\.createdAt),
        ]
    }
    public var outputName: String { id }

    /// `in 29d`, `never`, or `expired 2d ago`.
    static func expiry(_ date: Date?, now: Date) -> String {
        guard let date else { return "never" }
        return date > now ? RelativeTime.until(date, now: now) : "expired \(RelativeTime.age(of: date, now: now)) ago"
    }
}

extension IssuedToken: TableRenderable {
    public static var resourceKind: String { "token" }
    public static var columns: [Column<IssuedToken>] {
        [
            Column("ID") { $0.tokenInfo.id },
            Column("NAME") { $0.tokenInfo.name },
            Column("EXPIRES") { issued, now in APIToken.expiry(issued.tokenInfo.expiresAt, now: now) },
            Column("TOKEN") { $0.token },
        ]
    }
    public var outputName: String { tokenInfo.id }
}
