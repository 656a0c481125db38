import Foundation
import Synchronization
import TapsterCore

/// The run's real OpenStack Keystone (`scripts/keystone-for-tests.sh`, which `make test` starts once and stops at
/// the end, exporting `TAPSTER_TEST_KEYSTONE_URL`): its admin API, for a test to make projects, users, role
/// assignments and catalog entries, and the stock `openstack` client of its virtualenv, to act as a user would.
///
/// Requests go through `curl` (Keystone's answers are small; tokens come in a header), commands through
/// ``ProcessRunner/output(_:input:)``, so that no test thread blocks while Keystone or the client works.
public struct Keystone: Sendable {
    /// The identity v3 base, `http://127.0.0.1:PORT/v3` (what `OS_AUTH_URL` and `tapster serve --keystone-url` take).
    public let url: String
    private let adminPassword: String
    private let openstackClient: String

    /// The run's Keystone; fails, saying how to start one, when `TAPSTER_TEST_KEYSTONE_URL` is not set.
    public static func shared() throws -> Keystone {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["TAPSTER_TEST_KEYSTONE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw KeystoneFailed(message: "TAPSTER_TEST_KEYSTONE_URL is not set: run the tests with `make test`, or "
                                 + "`export TAPSTER_TEST_KEYSTONE_URL=$(scripts/keystone-for-tests.sh start)` first")
        }
        let venv = environment["TAPSTER_KEYSTONE_VENV"].flatMap { $0.isEmpty ? nil : $0 } ?? "/var/tmp/tapster-keystone-venv"
        return Keystone(url: url, adminPassword: environment["TAPSTER_KEYSTONE_ADMIN_PASSWORD"] ?? "keystone-admin",
                        openstackClient: venv + "/bin/openstack")
    }

    /// Someone who signs in with a password, scoped to a project (all in domain `Default`).
    public struct Person: Sendable {
        public var user: String
        public var password: String
        public var project: String
        public var id = ""

        public init(user: String, password: String, project: String) {
            self.user = user
            self.password = password
            self.project = project
        }
    }

    /// The bootstrap admin, on project `admin`.
    public var admin: Person { Person(user: "admin", password: adminPassword, project: "admin") }

    // MARK: Tokens

    /// A token for `person` (`POST /v3/auth/tokens`), scoped to their project unless `scoped` is false.
    public func token(for person: Person, scoped: Bool = true) async throws -> String {
        var auth: [String: Any] = ["identity": ["methods": ["password"],
                                                "password": ["user": ["name": person.user, "domain": ["id": "default"], "password": person.password]]]]
        if scoped { auth["scope"] = ["project": ["name": person.project, "domain": ["id": "default"]]] }
        let body: [String: Any] = ["auth": auth]
        let answer = try await Self.request("POST", url + "/auth/tokens?nocatalog", json: body)
        guard answer.status == 201, let token = answer.header("X-Subject-Token") else {
            throw KeystoneFailed(message: "POST /auth/tokens as \(person.user) answered \(answer.status): \(answer.text)")
        }
        return token
    }

    /// Revokes `token` (`DELETE /v3/auth/tokens`, as `openstack token revoke` does).
    public func revoke(_ token: String) async throws {
        let answer = try await Self.request("DELETE", url + "/auth/tokens", headers: ["X-Auth-Token": try await adminToken(), "X-Subject-Token": token])
        guard answer.status == 204 else { throw KeystoneFailed(message: "revoking a token answered \(answer.status): \(answer.text)") }
    }

    // MARK: Admin API

    /// Creates `object` (`project`, `user`, `region`, `service`, `endpoint`) with `fields` as the admin; its id.
    @discardableResult
    public func create(_ object: String, _ fields: [String: Any]) async throws -> String {
        let answer = try await asAdmin("POST", "/\(object)s", json: [object: fields])
        guard answer.status == 201, let id = try? JSONValue(data: answer.body)[object]?["id"]?.string else {
            throw KeystoneFailed(message: "creating a \(object) answered \(answer.status): \(answer.text)")
        }
        return id
    }

    /// A project of domain `Default`; its id.
    public func createProject(_ name: String) async throws -> String {
        try await create("project", ["name": name, "domain_id": "default"])
    }

    /// A user of domain `Default` with `role` (`member`, `reader`, `service`, …) in their project; the person, with its id.
    public func createUser(_ name: String, role: String, in project: String) async throws -> Person {
        var person = Person(user: name, password: "pw-" + UUID().uuidString, project: project)
        person.id = try await create("user", ["name": name, "password": person.password, "domain_id": "default"])
        let projectID = try await id(of: "project", named: project)
        let answer = try await asAdmin("PUT", "/projects/\(projectID)/users/\(person.id)/roles/\(try await id(of: "role", named: role))")
        guard answer.status == 204 else { throw KeystoneFailed(message: "giving \(name) the role \(role) answered \(answer.status): \(answer.text)") }
        return person
    }

    /// Registers `url` as the public endpoint of a new service of `type` in a new region of its own (so that tests
    /// running beside each other, each with its own server, each find their own); the region's id.
    public func registerEndpoint(type: String, url endpoint: String) async throws -> String {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let region = "tapster-test-\(suffix)"
        try await create("region", ["id": region, "description": "a Tapster test's"])
        let service = try await create("service", ["type": type, "name": "tapster-\(suffix)", "enabled": true])
        try await create("endpoint", ["service_id": service, "interface": "public", "url": endpoint, "region_id": region, "enabled": true])
        return region
    }

    private func id(of object: String, named name: String) async throws -> String {
        let answer = try await asAdmin("GET", "/\(object)s?name=\(name)")
        guard answer.status == 200, case .array(let found)? = try? JSONValue(data: answer.body)[object + "s"], let id = found.first?["id"]?.string else {
            throw KeystoneFailed(message: "no \(object) named \(name): \(answer.status) \(answer.text)")
        }
        return id
    }

    private func asAdmin(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> HTTPAnswer {
        try await Self.request(method, url + path, headers: ["X-Auth-Token": try await adminToken()], json: json)
    }

    /// The admin's token, kept for 10 minutes (every password authentication costs Keystone a bcrypt).
    private func adminToken() async throws -> String {
        let now = ContinuousClock.now
        if let kept = Self.keptAdminToken.withLock({ $0 }), kept.url == url, now < kept.until { return kept.token }
        let token = try await token(for: admin)
        Self.keptAdminToken.withLock { $0 = (url, token, now.advanced(by: .seconds(600))) }
        return token
    }

    private static let keptAdminToken = Mutex<(url: String, token: String, until: ContinuousClock.Instant)?>(nil)

    // MARK: The openstack client

    /// Runs the stock `openstack` client as `person` (password authentication at this Keystone, the endpoints of
    /// `region`); the output, whatever the exit status.
    public func openstack(_ arguments: [String], as person: Person, region: String, home: String) async throws -> ProcessRunner.Output {
        let environment = [
            "OS_AUTH_URL": url, "OS_IDENTITY_API_VERSION": "3", "OS_AUTH_TYPE": "password", "OS_INTERFACE": "public",
            "OS_REGION_NAME": region, "OS_USERNAME": person.user, "OS_PASSWORD": person.password, "OS_PROJECT_NAME": person.project,
            "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
            "HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONWARNINGS": "ignore",
        ]
        return try await ProcessRunner.output(["/usr/bin/env", "-i"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                                              + [openstackClient] + arguments)
    }

    // MARK: HTTP

    /// An HTTP answer as tests read it.
    public struct HTTPAnswer: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// One request with `curl` (`json` as the body).
    public static func request(_ method: String, _ url: String, headers: [String: String] = [:], json: [String: Any]? = nil) async throws -> HTTPAnswer {
        let scratch = try ScratchDirectory(label: "keystone-request")
        defer { scratch.remove() }
        let headerFile = scratch.path + "/headers", bodyFile = scratch.path + "/body"
        var arguments = ["curl", "-sS", "--max-time", "30", "-X", method, "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}"]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
        var input = ""
        if let json {
            input = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        }
        let output = try await ProcessRunner.output(arguments + [url], input: input)
        guard output.status == 0, let status = Int(output.stdout) else {
            throw KeystoneFailed(message: "curl -X \(method) \(url) failed (\(output.status)): \(output.stderr)")
        }
        let headerLines = ((try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline)
        let parsed = headerLines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return HTTPAnswer(status: status, headers: parsed, body: FileManager.default.contents(atPath: bodyFile) ?? Data())
    }
}

/// Keystone (or the client) did not do what a test asked.
public struct KeystoneFailed: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
