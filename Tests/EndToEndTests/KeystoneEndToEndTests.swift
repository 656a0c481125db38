import Foundation
import TapsterAPI
import TapsterClient
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// OpenStack users with Keystone tokens, nothing faked: the run's real Keystone (`scripts/keystone-for-tests.sh`),
/// a real `tapster serve --keystone-url` registered in Keystone's catalog as the `network` endpoint, and the stock
/// `openstack` client (python-openstackclient + python-neutronclient) authenticating with passwords.
///
/// One test at a time: the test Keystone keeps its data in SQLite, and every password sign-in writes the user's
/// `last_active_at`; two at once (one test's setup beside another's sign-in) now and then fail with `database is
/// locked`, a 500 that uWSGI never sends, so the caller waits for its deadline.
@Suite("Keystone tokens on the Neutron and native APIs", .serialized, .timeLimit(.minutes(5)))
struct KeystoneEndToEndTests {
    /// One test's cloud: projects `shop-X` (a member and a reader) and `blog-X` (a member), Tapster's service user in
    /// project `service-X`, and a server validating tokens with it, the network endpoint of region ``region``.
    struct Cloud: Sendable {
        let keystone: Keystone
        let server: ServerProcess
        let region: String
        let shop: String
        let member: Keystone.Person
        let reader: Keystone.Person
        let outsider: Keystone.Person
        let home: String

        /// `openstack <arguments>` as `person`; the output whatever the exit status.
        func openstack(_ arguments: [String], as person: Keystone.Person) async throws -> ProcessRunner.Output {
            try await keystone.openstack(arguments, as: person, region: region, home: home)
        }

        /// `openstack <arguments> -f json` as `person`, which must succeed; its JSON.
        func json(_ arguments: [String], as person: Keystone.Person, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
            let output = try await openstack(arguments + ["-f", "json"], as: person)
            try #require(output.status == 0, "openstack \(arguments.joined(separator: " ")) as \(person.user): \(output.stderr)\n\(server.log)",
                         sourceLocation: sourceLocation)
            return try JSONValue(data: Data(output.stdout.utf8))
        }

        /// Tapster's admin, through the native API.
        func admin<T: Sendable>(_ body: (APIClient) async throws -> T) async throws -> T {
            try await APIClient.with(server: server.url, token: server.adminToken, body)
        }
    }

    static func withCloud(_ body: (Cloud) async throws -> Void) async throws {
        let keystone = try Keystone.shared()
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let shop = "shop-\(suffix)", blog = "blog-\(suffix)", services = "service-\(suffix)"
        for project in [shop, blog, services] { _ = try await keystone.createProject(project) }
        let service = try await keystone.createUser("tapster-\(suffix)", role: "service", in: services)
        let member = try await keystone.createUser("alice-\(suffix)", role: "member", in: shop)
        let reader = try await keystone.createUser("rita-\(suffix)", role: "reader", in: shop)
        let outsider = try await keystone.createUser("bob-\(suffix)", role: "member", in: blog)
        let scratch = try ScratchDirectory(label: "keystone-cloud")
        defer { scratch.remove() }
        let passwordFile = scratch.path + "/service-password"
        try service.password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let arguments = ["--keystone-url", keystone.url, "--keystone-service-user", service.user,
                         "--keystone-service-password-file", passwordFile, "--keystone-service-project", services]
        try await ServerProcess.with(binary: binary, arguments: arguments) { server in
            let region = try await keystone.registerEndpoint(type: "network", url: server.url)
            try await body(Cloud(keystone: keystone, server: server, region: region, shop: shop, member: member, reader: reader,
                                 outsider: outsider, home: scratch.path))
        }
    }

    @Test func aProjectMemberTapsWithTheStockClientFindingTapsterInTheCatalog() async throws {
        try await Self.withCloud { cloud in
            let shop = cloud.shop
            // The member's first request makes them a user, and the project a tenant.
            #expect(try await cloud.json(["tap", "service", "list"], as: cloud.member) == .array([]))
            let (user, tenant) = try await cloud.admin { admin in
                (try await admin.get(APIPath.api("users", cloud.member.user), as: User.self).value,
                 try await admin.get(APIPath.api("tenants", shop), as: Tenant.self).value)
            }
            #expect(user.role == .owner && user.spec.tenants == [shop])
            #expect(user.external == ExternalIdentity(issuer: cloud.keystone.url, subject: cloud.member.id, provider: "keystone",
                                                      displayName: cloud.member.user))
            #expect(tenant.spec.description.contains(cloud.member.user), "\(tenant.spec.description)")

            // The admin puts two VMs in it: a monitoring one and the application's.
            let monitorPort = UUID().uuidString.lowercased(), appPort = UUID().uuidString.lowercased()
            try await cloud.admin { admin in
                for (name, port, ip) in [("monitor", monitorPort, "10.20.0.2"), ("app", appPort, "10.20.0.3")] {
                    _ = try await admin.post(APIPath.api("workloads"), body: WorkloadSpec(
                        name: name, kind: .vm, host: "compute-1", tenant: shop,
                        interfaces: [WorkloadInterface(id: port, name: "eth0", ips: [try IPAddress(parsing: ip)])]), as: Workload.self)
                }
            }

            let service = try await cloud.json(["tap", "service", "create", "--name", "ids", "--port", monitorPort], as: cloud.member)
            let serviceID = try #require(service["id"]?.string)
            let flow = try await cloud.json(["tap", "flow", "create", "--name", "app-in", "--port", appPort, "--tap-service", "ids",
                                             "--direction", "IN"], as: cloud.member)
            let flowID = try #require(flow["id"]?.string)
            #expect((flow["status"] ?? flow["Status"])?.string == "ACTIVE", "\(flow)")
            #expect(try await cloud.json(["tap", "flow", "list"], as: cloud.member).ids == [flowID])
            #expect(try await cloud.json(["tap", "service", "list"], as: cloud.member).ids == [serviceID])

            // The reader (an auditor) sees them and cannot create.
            #expect(try await cloud.json(["tap", "service", "list"], as: cloud.reader).ids.contains(serviceID))
            let refused = try await cloud.openstack(["tap", "service", "create", "--name", "nope", "--port", monitorPort], as: cloud.reader)
            #expect(refused.status != 0 && refused.stderr.contains("403"), "\(refused.stderr)")

            // Another project's member sees none of them.
            #expect(try await cloud.json(["tap", "service", "list"], as: cloud.outsider) == .array([]))
            #expect(try await cloud.json(["tap", "flow", "list"], as: cloud.outsider) == .array([]))
            let hidden = try await cloud.openstack(["tap", "service", "show", serviceID], as: cloud.outsider)
            #expect(hidden.status != 0, "\(hidden.stdout)")

            // The audit says who, really: the Keystone project and the person's Keystone identity.
            let events = try await cloud.admin { try await $0.get(APIPath.api("audit") + "?limit=100", as: AuditPage.self).value.items }
            let created = try #require(events.first { $0.action == "target.created" && $0.objectId == serviceID }, "\(events.map(\.action))")
            #expect(created.actor == cloud.member.user)
            #expect(created.details["auth"] == "keystone:\(shop)")
            #expect(created.details["identity"] == cloud.keystone.url + "#" + cloud.member.id)
            #expect(created.details["display_name"] == cloud.member.user)
            #expect(created.details["api"] == "neutron")
        }
    }

    @Test func aRevokedTokenIsRefusedWithinAMinute() async throws {
        try await Self.withCloud { cloud in
            let token = try await cloud.keystone.token(for: cloud.member)
            let services = cloud.server.url + "/v2.0/taas/tap_services"
            let first = try await Keystone.request("GET", services, headers: ["X-Auth-Token": token])
            #expect(first.status == 200, "\(first.text)\n\(cloud.server.log)")
            // The native API takes the same token, as X-Auth-Token or as a bearer token.
            let whoami = try await Keystone.request("GET", cloud.server.url + "/api/v1/whoami", headers: ["Authorization": "Bearer " + token])
            #expect(whoami.status == 200 && whoami.text.contains(cloud.member.user), "\(whoami.text)")

            try await cloud.keystone.revoke(token)
            let clock = ContinuousClock()
            let revoked = clock.now
            let refusal = try await eventually(timeout: .seconds(90), every: .seconds(1), "the revoked token to be refused") {
                let answer = try await Keystone.request("GET", services, headers: ["X-Auth-Token": token])
                return answer.status == 200 ? nil : answer
            }
            let after = clock.now - revoked
            #expect(after < .seconds(62), "refused \(after) after the revocation")
            #expect(refusal.status == 401, "\(refusal.text)")
            #expect(refusal.text.contains("the Keystone token is not valid (revoked or expired)"), "\(refusal.text)")

            // A new token of the same person works at once.
            let fresh = try await Keystone.request("GET", services, headers: ["X-Auth-Token": try await cloud.keystone.token(for: cloud.member)])
            #expect(fresh.status == 200, "\(fresh.text)")
        }
    }

    @Test func aTokenWithoutAProjectIsRefusedSayingSo() async throws {
        try await Self.withCloud { cloud in
            let unscoped = try await cloud.keystone.token(for: cloud.member, scoped: false)
            let answer = try await Keystone.request("GET", cloud.server.url + "/v2.0/taas/tap_services", headers: ["X-Auth-Token": unscoped])
            #expect(answer.status == 401, "\(answer.text)")
            #expect(answer.text.contains("not scoped to a project"), "\(answer.text)")
            let garbage = try await Keystone.request("GET", cloud.server.url + "/v2.0/taas/tap_services", headers: ["X-Auth-Token": "gAAAAAnot-a-token"])
            #expect(garbage.status == 401 && garbage.text.contains("revoked or expired"), "\(garbage.text)")
        }
    }
}

extension JSONValue {
    /// The `ID` (or `id`) of each object of a list the openstack client printed with `-f json`.
    fileprivate var ids: Set<String> {
        guard case .array(let items) = self else { return [] }
        return Set(items.compactMap { $0["ID"]?.string ?? $0["id"]?.string })
    }
}
