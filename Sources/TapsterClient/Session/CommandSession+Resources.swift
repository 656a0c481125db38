import TapsterCore

/// The verbs every collection shares: list, get, create, replace, update, delete.
extension CommandSession {
    /// `GET` the collection (with an optional `?query`) and print it: every page, or the one `paging` asks for.
    public func list<Item>(_ collection: ResourceCollection<Item>, query: String = "", paging: ListPaging = .all) async throws {
        try await list(collection.url + query, of: Item.self, paging: paging)
    }

    /// `GET` a list at `path` and print it. Every page by default (kubectl's way); with `--limit` or
    /// `--continue` one page, and — on standard error, so that the output stays the list — the token
    /// of the next one when more follow.
    func list<Item: TableRenderable & Decodable>(_ path: String, of type: Item.Type, paging: ListPaging) async throws {
        guard paging.isOnePage else {
            try show(try await client.list(path, of: Item.self))
            return
        }
        let (page, next) = try await client.listPage(path, limit: paging.limit, continue: paging.continueToken, of: Item.self)
        try show(page)
        if let next { Console.error("More \(Item.plural): add --continue \(next)") }
    }

    /// `GET` one object by name or id and print it; the warnings it keeps go to standard error.
    public func get<Item>(_ collection: ResourceCollection<Item>, _ reference: String) async throws {
        let answer = try await client.get(collection.url(reference), as: Item.self)
        for warning in answer.value.keptWarnings { warn(warning) }
        try show(answer)
    }

    /// `POST` a new object and print what the server stored.
    @discardableResult
    public func create<Item>(_ collection: ResourceCollection<Item>, _ body: some Encodable) async throws -> Item {
        let answer = try await client.post(collection.url, body: body, as: Item.self)
        try show(answer)
        return answer.value
    }

    /// `PUT` a whole spec over an object and print the result.
    public func replace<Item>(_ collection: ResourceCollection<Item>, _ reference: String, _ body: some Encodable) async throws {
        try show(try await client.put(collection.url(reference), body: body, as: Item.self))
    }

    /// `PATCH` some fields of an object and print the result.
    public func update<Item>(_ collection: ResourceCollection<Item>, _ reference: String, _ body: some Encodable) async throws {
        try show(try await client.patch(collection.url(reference), body: body, as: Item.self))
    }

    /// `DELETE` an object and confirm, as kubectl does: `target "web" deleted`.
    public func delete<Item>(_ collection: ResourceCollection<Item>, _ reference: String) async throws {
        try await client.delete(collection.url(reference))
        try say("\(Item.resourceKind) \"\(reference)\" deleted")
    }
}
