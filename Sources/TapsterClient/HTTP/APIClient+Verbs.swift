import Foundation
import NIOHTTP1
import TapsterCore

extension APIClient {
    /// `GET path`, decoded as `Value`.
    public func get<Value: Decodable & Sendable>(_ path: String, as type: Value.Type = Value.self) async throws -> APIResponse<Value> {
        try await call(.GET, path)
    }

    /// `GET path` of a list (`{"items": [...]}`); the JSON kept is the whole list document.
    public func list<Item: Decodable & Sendable>(_ path: String, of type: Item.Type = Item.self) async throws -> APIResponse<[Item]> {
        let answer: APIResponse<Items<Item>> = try await call(.GET, path)
        return APIResponse(value: answer.value.items, json: answer.json)
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
}

/// `{"items": [...]}` of items that need only be decodable.
private struct Items<Item: Decodable & Sendable>: Decodable, Sendable {
    var items: [Item]
}
