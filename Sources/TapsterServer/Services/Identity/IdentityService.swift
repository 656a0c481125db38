import TapsterCore

/// Who is who: users, API tokens, logins and portal sessions, passwords and the login throttle.
/// Taking access away (disabling, deleting, a lost tenant) also stops the taps and ends the capture
/// reader entitlements the user can no longer hold, through the tap and capture services.
public struct IdentityService: ContextualService {
    let context: ServiceContext
    let passwords: PasswordHasher
    /// Limits password guessing for every way of logging in (API and portal).
    let loginThrottle: LoginThrottle
    /// Stops the taps a user may no longer hold.
    let taps: TapService
    /// Ends the capture reader entitlements a user may no longer hold.
    let captures: CaptureService
    /// Creates the tenants a sign-in through an identity provider brings.
    let catalog: CatalogService
    /// The identity providers trusted besides Tapster's own accounts (OpenID Connect, Keystone).
    let providers: IdentityProviders
}
