import HTTPTypes

/// One request of the matrix: a path with its query, and a JSON body or a portal form.
struct MatrixRequest: Sendable {
    var path: String
    var json: String? = nil
    /// A portal form, sent url-encoded with the caller's CSRF token added.
    var form: [String: String]? = nil
    /// A portal session to use instead of the caller's own (for a request that ends the session).
    var session: String? = nil
}

/// One route of the router, the request that exercises it, and what each caller gets.
struct MatrixRow: Sendable {
    let method: HTTPRequest.Method
    /// The route as the router names it, e.g. `/api/v1/taps/{id}/stop`.
    let route: String
    let expected: MatrixExpectation
    /// Makes the request for one caller, with fresh objects where the route changes or deletes one.
    let request: @Sendable (MatrixWorld, MatrixCaller) async throws -> MatrixRequest

    init(_ method: HTTPRequest.Method, _ route: String, _ expected: MatrixExpectation,
         _ request: @escaping @Sendable (MatrixWorld, MatrixCaller) async throws -> MatrixRequest) {
        self.method = method
        self.route = route
        self.expected = expected
        self.request = request
    }

    /// A row whose request is the same for every caller.
    init(_ method: HTTPRequest.Method, _ route: String, _ expected: MatrixExpectation, path: String? = nil, json: String? = nil) {
        self.init(method, route, expected) { _, _ in MatrixRequest(path: path ?? route, json: json) }
    }

    var key: String { "\(method.rawValue) \(route)" }
}
