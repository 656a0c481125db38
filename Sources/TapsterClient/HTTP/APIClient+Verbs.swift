import Foundation
import NIOHTTP1
import TapsterCore

extension APIClient {
    /// `GET path`, decoded as `Value`.
    public func get<Value: Decodable & Sendable>(_ path: String, as type: Value.Type = Value.self) async throws -> APIResponse<Value> {
        try await call(.GET, path)
    }

    /// `GET path` of a list (`{"items": [...]}`), every page of it, following `continue` as kubectl does;
    /// the JSON kept is one list document of all the items.
    public func list<Item: Decodable & Sendable>(_ path: String, of type: Item.Type = Item.self) async throws -> APIResponse<[Item]> {
        var (all, next) = try await listPage(path, of: Item.self)
        var seen: Set<String> = []
        while let token = next {
            // A server that hands out the same token twice would keep this loop going forever.
            guard seen.insert(token).inserted else {
                throw TapsterError(.internal, "the server repeated a continue token for \(path)")
            }
            let (page, following) = try await listPage(path, continue: token, of: Item.self)
            all = APIResponse(value: all.value + page.value, json: Self.joined(all.json, page.json))
            next = following
        }
        return all
    }

    /// One page of a list: at most `limit` items (the server's default when `nil`) after `token`, and
    /// the continue token of the next page (`nil` on the last). The JSON kept is the page's document.
    public func listPage<Item: Decodable & Sendable>(
        _ path: String, limit: Int? = nil, continue token: String? = nil, of type: Item.Type = Item.self
    ) async throws -> (APIResponse<[Item]>, next: String?) {
        let answer: APIResponse<Items<Item>> = try await call(.GET, ListPaging.path(path, limit: limit, continue: token))
        return (APIResponse(value: answer.value.items, json: answer.json), answer.value.continue)
    }

    /// `{"items": first + second}`, without the pages' continue tokens.
    private static func joined(_ first: JSONValue, _ second: JSONValue) -> JSONValue {
        guard case .object(var document) = first, case .array(let head)? = document["items"],
              case .object(let next) = second, case .array(let tail)? = next["items"] else { return first }
        document["items"] = .array(head + tail)
        document["continue"] = nil
        return .object(document)
    }

    /// `POST path` with a JSON body.
    public func post<Value: Decodable & Sendable>(_ path: String, body: some Encodable, as type: Value.Type = Value.self) async throws -> APIResponse<Value> {
        try await call(.POST, path, body: try Self.encode(body))
    }

    /// `POST path` without a body (an action such as `/taps/{id}/stop`).
    public func post<Value: Decodable & Sendable>(_ path: String, as type: Value.Type = Value.self) async throws -> APIResponse<Value> {
        try await call(.POST, path)
    }

    /// `PUT path`: replaces the object's spec.
    public func put<Value: Decodable & Sendable>(_ path: String, body: some Encodable, as type: Value.Type = Value.self) async throws -> APIResponse<Value> {
        try await call(.PUT, path, body: try Self.encode(body))
    }

    /// `PATCH path`: changes some fields.
    public func patch<Value: Decodable & Sendable>(_ path: String, body: some Encodable, as type: Value.Type = Value.self) async throws -> APIResponse<Value> {
        try await call(.PATCH, path, body: try Self.encode(body))
    }

    /// `DELETE path` (answered `204 No Content`).
    public func delete(_ path: String) async throws {
        _ = try await send(.DELETE, path)
    }

    /// `GET /healthz`: returns when the server answers that it is up.
    public func health() async throws {
        _ = try await send(.GET, "/healthz", authenticated: false)
    }

    /// `GET /readyz`: returns when the server answers that it is ready (its database answers, it hears the
    /// other replicas, agents can connect); throws while it answers 503.
    public func ready() async throws {
        _ = try await send(.GET, "/readyz", authenticated: false)
    }
}

/// `{"items": [...], "continue": "…"}` of items that need only be decodable.
private struct Items<Item: Decodable & Sendable>: Decodable, Sendable {
    var items: [Item]
    var `continue`: String?
}
