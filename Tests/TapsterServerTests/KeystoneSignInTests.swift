import Foundation
import Testing
@testable import TapsterServer
import TapsterCore

/// What a Keystone token's answer makes of a person (``ExternalSignIn/keystone(_:configuration:now:recheck:)``), and
/// `tapster serve`'s Keystone options: pure, no Keystone needed (the real one is in EndToEndTests).
@Suite struct KeystoneSignInTests {
    static let configuration = KeystoneConfiguration(url: "http://keystone.example:5000", serviceUser: "tapster", servicePassword: "secret")
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// An answer of `GET /v3/auth/tokens?nocatalog` as Keystone writes it (microseconds, implied roles listed).
    static func answer(roles: [String], project: String? = #"{"domain": {"id": "default", "name": "Default"}, "id": "3a1c", "name": "shop"}"#,
                       userDomain: String = #"{"id": "default", "name": "Default"}"#, expiresAt: String = "2027-01-15T09:00:00.123456Z") -> Data {
        let roleList = roles.enumerated().map { #"{"id": "r\#($0.offset)", "name": "\#($0.element)"}"# }.joined(separator: ", ")
        return Data("""
            {"token": {"methods": ["password"],
              "user": {"domain": \(userDomain), "id": "9f2e7d", "name": "Alice", "password_expires_at": null},
              "audit_ids": ["x1Tz2S3jQ4m5"], "expires_at": "\(expiresAt)", "issued_at": "2027-01-15T08:00:00.000000Z",
              \(project.map { #""project": \#($0), "is_domain": false,"# } ?? "")
              "roles": [\(roleList)]}}
            """.utf8)
    }

    static func signIn(_ body: Data, configuration: KeystoneConfiguration = configuration) throws -> ExternalSignIn {
        try ExternalSignIn.keystone(try KeystoneToken.decode(body), configuration: configuration, now: now)
    }

    @Test func aMemberOwnsTheProjectsTenantAloneThoughTheTokenAlsoSaysReader() throws {
        let signIn = try Self.signIn(Self.answer(roles: ["member", "reader"]))
        #expect(signIn.access == MappedAccess(role: .owner, tenants: ["shop"]))
        #expect(signIn.creatableTenants == ["shop"])
        #expect(signIn.userName == "alice")
        #expect(signIn.method == .keystone(project: "shop"))
        #expect(signIn.identity == ExternalIdentity(issuer: "http://keystone.example:5000/v3", subject: "9f2e7d", provider: "keystone", displayName: "Alice"))
    }

    @Test func aReaderIsAnAuditorAndAnAdminAnAdmin() throws {
        #expect(try Self.signIn(Self.answer(roles: ["reader"])).access == MappedAccess(role: .auditor))
        #expect(try Self.signIn(Self.answer(roles: ["reader", "admin", "member"])).access == MappedAccess(role: .admin))
    }

    @Test func noMappedRoleLeavesNoAccessAndSaysWhichRolesItSaw() throws {
        let signIn = try Self.signIn(Self.answer(roles: ["load-balancer_member", "creator"]))
        #expect(signIn.access == nil)
        #expect(signIn.refusalDetail == "roles=creator,load-balancer_member in project shop")
    }

    @Test func theRoleMapIsConfigurable() throws {
        var configuration = Self.configuration
        configuration.roleMap = ["tap-operator": .owner, "cloud-admin": .admin]
        #expect(try Self.signIn(Self.answer(roles: ["member"]), configuration: configuration).access == nil)
        #expect(try Self.signIn(Self.answer(roles: ["tap-operator"]), configuration: configuration).access == MappedAccess(role: .owner, tenants: ["shop"]))
    }

    @Test func aValidatedTokenIsTrustedForAMinuteAtMostAndNeverPastItsExpiry() throws {
        #expect(try Self.signIn(Self.answer(roles: ["member"])).validUntil == Self.now.addingTimeInterval(60))
        let expiring = try Self.signIn(Self.answer(roles: ["member"], expiresAt: "2027-01-15T08:00:20.500000Z"))
        #expect(expiring.validUntil == Self.now.addingTimeInterval(20.5))
    }

    @Test func aTokenWithoutAProjectIsRefusedSayingHowToScopeIt() throws {
        let error = #expect(throws: TapsterError.self) { try Self.signIn(Self.answer(roles: [], project: nil)) }
        #expect(error?.code == .unauthenticated)
        #expect(error?.message.contains("not scoped to a project") == true && error?.message.contains("OS_PROJECT_NAME") == true)
    }

    @Test func usersAndProjectsOfOtherDomainsCarryTheDomainsName() throws {
        let signIn = try Self.signIn(Self.answer(
            roles: ["member"], project: #"{"domain": {"id": "77ab", "name": "Corp"}, "id": "5d", "name": "Shop"}"#,
            userDomain: #"{"id": "77ab", "name": "Corp"}"#))
        #expect(signIn.userName == "alice-corp")
        #expect(signIn.access == MappedAccess(role: .owner, tenants: ["shop-corp"]))
        #expect(signIn.method == .keystone(project: "Shop@Corp"))
    }

    @Test func keystonesMicrosecondTimesAreRead() {
        #expect(KeystoneToken.parseTime("2027-01-15T08:00:00.250000Z") == Self.now.addingTimeInterval(0.25))
        #expect(KeystoneToken.parseTime("2027-01-15T08:00:00.000000Z") == Self.now)
        #expect(KeystoneToken.parseTime("2027-01-15T08:00:00Z") == Self.now)
        #expect(KeystoneToken.parseTime("yesterday") == nil)
    }

    @Test func anAnswerThatIsNoTokenIsKeystonesFaultNotTheClients() {
        let error = #expect(throws: TapsterError.self) { try KeystoneToken.decode(Data(#"{"error": {"code": 500}}"#.utf8)) }
        #expect(error?.code == .unavailable)
    }

    // MARK: tapster serve's options

    @Test func theURLFlagTurnsKeystoneOnWithTheServiceUserAndThePasswordFromTheEnvironment() throws {
        let configured = try IdentityConfiguration.localOnly.applyingKeystoneOptions(
            url: "http://127.0.0.1:5000/v3", serviceUser: "tapster", servicePasswordFile: nil, serviceProject: nil,
            environment: ["TAPSTER_KEYSTONE_SERVICE_PASSWORD": "s3cret"])
        #expect(configured.keystone == KeystoneConfiguration(url: "http://127.0.0.1:5000/v3", serviceUser: "tapster", servicePassword: "s3cret"))
    }

    @Test func theURLFlagReplacesTheFilesAndKeepsTheRest() throws {
        let file = try IdentityConfiguration.parse("""
            keystone:
              url: http://old:5000
              service_user: tapster-svc
              service_password: from-file
              service_project: services
              role_map: {operator: owner}
            """)
        let configured = try file.applyingKeystoneOptions(url: "http://new:5000", serviceUser: nil, servicePasswordFile: nil, serviceProject: nil,
                                                          environment: [:])
        #expect(configured.keystone == KeystoneConfiguration(url: "http://new:5000", serviceUser: "tapster-svc", servicePassword: "from-file",
                                                             serviceProject: "services", roleMap: ["operator": .owner]))
        #expect(try file.applyingKeystoneOptions(url: nil, serviceUser: nil, servicePasswordFile: nil, serviceProject: nil, environment: [:]) == file)
    }

    @Test func missingServiceCredentialsAreNamed() {
        let noPassword = #expect(throws: TapsterError.self) {
            try IdentityConfiguration.localOnly.applyingKeystoneOptions(url: "http://k:5000", serviceUser: "tapster", servicePasswordFile: nil,
                                                                        serviceProject: nil, environment: [:])
        }
        #expect(noPassword?.field == "keystone-service-password-file")
        let noUser = #expect(throws: TapsterError.self) {
            try IdentityConfiguration.localOnly.applyingKeystoneOptions(url: "http://k:5000", serviceUser: nil, servicePasswordFile: nil,
                                                                        serviceProject: nil, environment: ["TAPSTER_KEYSTONE_SERVICE_PASSWORD": "x"])
        }
        #expect(noUser?.field == "keystone-service-user")
        let noURL = #expect(throws: TapsterError.self) {
            try IdentityConfiguration.localOnly.applyingKeystoneOptions(url: nil, serviceUser: "tapster", servicePasswordFile: nil,
                                                                        serviceProject: nil, environment: [:])
        }
        #expect(noURL?.field == "keystone-url")
    }
}
