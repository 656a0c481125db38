import Foundation
import Testing
import TapsterCore

/// Paging a list: stable order, every item once, cursors only the server's.
@Suite struct PageRequestTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func tenants(_ names: [String]) -> [Tenant] {
        names.map { Tenant(createdAt: start, spec: TenantSpec(name: $0)) }
    }

    /// Follows `continue` from the first page to the last.
    static func allPages<Item: Pageable>(_ items: [Item], limit: Int, list: String = "tenants") throws -> [[Item]] {
        var pages: [[Item]] = []
        var request = PageRequest(limit: limit)
        while true {
            let page = try request.page(of: items, list: list)
            pages.append(page.items)
            guard let next = page.next else { return pages }
            request = try PageRequest(limit: String(limit), continue: next.encoded, list: list)
        }
    }

    @Test func pagingYieldsEveryItemOnceInNameOrder() throws {
        let items = Self.tenants(["delta", "alpha", "echo", "charlie", "bravo"])
        let pages = try Self.allPages(items, limit: 2)
        #expect(pages.map { $0.map(\.name) } == [["alpha", "bravo"], ["charlie", "delta"], ["echo"]])
    }

    @Test func aPageThatEndsTheListHasNoContinueToken() throws {
        let page = try PageRequest(limit: 3).page(of: Self.tenants(["a", "b", "c"]), list: "tenants")
        #expect(page.items.count == 3)
        #expect(page.next == nil)
    }

    @Test func newestFirstListsPageFromTheNewest() throws {
        let taps = (0..<5).map { index in
            Tap(tenant: "shop", owner: "alice", filter: "f", target: "t", duration: try! TapDuration(parsing: "1m"),
                createdAt: Self.start.addingTimeInterval(Double(index)))
        }
        let pages = try Self.allPages(taps, limit: 2, list: "taps")
        #expect(pages.flatMap { $0 }.map(\.id) == taps.reversed().map(\.id))
    }

    @Test func anItemDeletedAfterItsPageDoesNotShiftTheNextPage() throws {
        let items = Self.tenants(["a", "b", "c", "d"])
        let first = try PageRequest(limit: 2).page(of: items, list: "tenants")
        let next = try PageRequest(limit: "2", continue: try #require(first.next).encoded, list: "tenants")
        #expect(try next.page(of: items.filter { $0.name != "b" }, list: "tenants").items.map(\.name) == ["c", "d"])
    }

    @Test(arguments: ["0", "1001", "-1", "ten", "1.5"])
    func aLimitOutside1To1000IsABadRequest(limit: String) {
        #expect(throws: TapsterError(.badRequest, "limit: \"\(limit)\" is not a whole number from 1 to 1000", field: "limit")) {
            try PageRequest(limit: limit, continue: nil, list: "tenants")
        }
    }

    @Test(arguments: ["garbage", "eyJ2IjoxfQ", String(repeating: "A", count: 5000)])
    func aContinueTokenTheServerDidNotMakeIsABadRequest(token: String) {
        #expect(throws: TapsterError(.badRequest, "continue: not a token from a previous page of this list; list again without it", field: "continue")) {
            try PageRequest(limit: nil, continue: token, list: "tenants")
        }
    }

    @Test func aContinueTokenOfAnotherListIsABadRequest() throws {
        let token = ContinueToken(list: "targets", after: ["web", "id"]).encoded
        #expect(throws: TapsterError.self) { try PageRequest(limit: nil, continue: token, list: "tenants") }
    }

    @Test func withoutALimitAPageHoldsAtMost500() throws {
        let page = try PageRequest(limit: nil, continue: nil, list: "tenants")
            .page(of: Self.tenants((0..<501).map { "t\($0)" }), list: "tenants")
        #expect(page.items.count == 500)
        #expect(page.next != nil)
    }
}
