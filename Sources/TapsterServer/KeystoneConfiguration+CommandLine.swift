import Foundation
import TapsterCore

extension IdentityConfiguration {
    /// `tapster serve`'s Keystone options over the file's `keystone:` section: `--keystone-url` replaces the
    /// file's URL (or turns Keystone on without a file), and each service option given replaces the file's.
    /// The service password comes from `--keystone-service-password-file`, else `$TAPSTER_KEYSTONE_SERVICE_PASSWORD`,
    /// else the file; never from a flag's value (it would show in `ps`).
    public func applyingKeystoneOptions(url: String?, serviceUser: String?, servicePasswordFile: String?, serviceProject: String?,
                                        environment: [String: String]) throws(TapsterError) -> IdentityConfiguration {
        guard url != nil || serviceUser != nil || servicePasswordFile != nil || serviceProject != nil else { return self }
        var password = keystone?.servicePassword
        if let fromEnvironment = environment["TAPSTER_KEYSTONE_SERVICE_PASSWORD"], !fromEnvironment.isEmpty { password = fromEnvironment }
        if let servicePasswordFile {
            do {
                password = try String(contentsOfFile: servicePasswordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw TapsterError.invalid("keystone-service-password-file", "cannot read \(servicePasswordFile): \(error.localizedDescription)")
            }
        }
        guard let url = url ?? keystone?.url else {
            throw TapsterError.invalid("keystone-url", "the Keystone service options need --keystone-url (or keystone.url in --identity-config)")
        }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw TapsterError.invalid("keystone-url", "\(url) is not an http(s) URL")
        }
        guard let user = serviceUser ?? keystone?.serviceUser else {
            throw TapsterError.invalid("keystone-service-user", "name the service user Tapster validates Keystone tokens with")
        }
        guard let password, !password.isEmpty else {
            throw TapsterError.invalid("keystone-service-password-file",
                                       "give the service user's password in a file, or in $TAPSTER_KEYSTONE_SERVICE_PASSWORD")
        }
        var configured = self
        configured.keystone = KeystoneConfiguration(
            url: url, serviceUser: user, servicePassword: password,
            serviceProject: serviceProject ?? keystone?.serviceProject ?? "service",
            serviceDomain: keystone?.serviceDomain ?? "Default",
            roleMap: keystone?.roleMap ?? KeystoneConfiguration.defaultRoleMap)
        return configured
    }
}
