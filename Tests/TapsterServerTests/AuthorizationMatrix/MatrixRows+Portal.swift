import HTTPTypes

/// The portal's rows. Pages and forms send strangers to sign in and a user with a one-time password to
/// the password form; the console is for admins and auditors, its forms for admins only.
extension MatrixRow {
    /// A console page (admins and auditors).
    static let consolePage = MatrixExpectation.portal(owner: 403, withoutGrant: 403, otherTenant: 403, auditor: 200, admin: 200)
    /// A console form (admins only); `admin` is the admin's answer (303 after a change).
    static func consoleForm(_ admin: Int) -> MatrixExpectation {
        .portal(owner: 403, withoutGrant: 403, otherTenant: 403, auditor: 403, admin: admin)
    }
    /// A form on alice's own tap.
    static let alicesTapForm = MatrixExpectation.portal(owner: 303, withoutGrant: 403, otherTenant: 404, auditor: 403, admin: 303)

    static let portal: [MatrixRow] = [
        // `/` is also Neutron's version discovery: a client that does not ask for HTML gets the versions.
        MatrixRow(.get, "/", .open(200)),
        MatrixRow(.get, "/login", MatrixExpectation(statuses: [.anonymous: 200, .disabled: 200, .oneTimePassword: 303, .otherTenantOwner: 303,
                                                               .ownerWithoutGrant: 303, .auditor: 303, .owner: 303, .admin: 303])),
        // Without the login form's cookie the sign-in is refused, whoever asks.
        MatrixRow(.post, "/login", .open(403)) { _, _ in MatrixRequest(path: "/login", form: ["name": "alice", "password": "password-of-alice"]) },
        // Single sign-on starts and ends only at a configured provider (this world has none).
        MatrixRow(.get, "/login/oidc/{provider}", .open(404), path: "/login/oidc/corp"),
        MatrixRow(.get, "/login/oidc/{provider}/callback", .open(404), path: "/login/oidc/corp/callback?code=c&state=s"),
        MatrixRow(.post, "/logout", .open(303)) { world, caller in
            MatrixRequest(path: "/logout", form: [:], session: try await world.freshSession(caller))
        },
        MatrixRow(.get, "/static/{name}", .open(200), path: "/static/portal.css"),
        MatrixRow(.get, "/live/taps", .api(everyone: 200)) { world, _ in MatrixRequest(path: "/live/taps?ids=\(try await world.aliceTap())") },
        MatrixRow(.get, "/account/password", MatrixExpectation(statuses: [
            .anonymous: 303, .disabled: 303, .oneTimePassword: 200, .otherTenantOwner: 200, .ownerWithoutGrant: 200, .auditor: 200,
            .owner: 200, .admin: 200])),
        // A new password that does not match its confirmation: the form again, with the error.
        MatrixRow(.post, "/account/password", MatrixExpectation(statuses: [
            .anonymous: 303, .disabled: 303, .oneTimePassword: 400, .otherTenantOwner: 400, .ownerWithoutGrant: 400, .auditor: 400,
            .owner: 400, .admin: 400])) { _, _ in
            MatrixRequest(path: "/account/password", form: ["current_password": "x", "password": "new-password-1", "password_confirmation": "other-password-2"])
        },

        // An owner's own pages.
        MatrixRow(.get, "/taps", .portal(owner: 200, withoutGrant: 200, otherTenant: 200, auditor: 303, admin: 303)),
        MatrixRow(.post, "/taps", .portal(owner: 303, withoutGrant: 404, otherTenant: 404, auditor: 403, admin: 403)) { _, _ in
            MatrixRequest(path: "/taps", form: ["filter": "web-to-db", "target": "wireshark-1", "duration": "10m"])
        },
        MatrixRow(.get, "/taps/{id}", .portal(owner: 200, withoutGrant: 200, otherTenant: 404, auditor: 200, admin: 200)) { world, _ in
            MatrixRequest(path: "/taps/\(try await world.aliceTap())")
        },
        MatrixRow(.post, "/taps/{id}/stop", .portal(owner: 303, withoutGrant: 303, otherTenant: 404, auditor: 403, admin: 303)) { world, _ in
            MatrixRequest(path: "/taps/\(try await world.aliceTap())/stop", form: [:])
        },
        MatrixRow(.post, "/taps/{id}/reactivate", alicesTapForm) { world, _ in
            MatrixRequest(path: "/taps/\(try await world.stoppedAliceTap())/reactivate", form: ["duration": "10m"])
        },

        // Every role's captures (each sees what CaptureService lets them); a stored capture's download button asks for
        // a signed link exactly as `POST /api/v1/captures/{id}/download-url` does, and redirects to it.
        MatrixRow(.get, "/captures", .portal(everyone: 200)),
        MatrixRow(.post, "/captures/{id}/download", .portal(owner: 303, withoutGrant: 403, otherTenant: 404, auditor: 403, admin: 303)) { world, _ in
            MatrixRequest(path: "/captures/\(world.storedCapture)/download", form: [:])
        },

        // Every role's map of who talks to whom (each sees what FlowService lets them), and the part its script refreshes.
        MatrixRow(.get, "/flows/map", .portal(everyone: 200)),

        // The network team's console.
        MatrixRow(.get, "/admin/taps", consolePage),
        MatrixRow(.get, "/admin/audit", consolePage),
        MatrixRow(.get, "/admin/audit.csv", consolePage),
        MatrixRow(.get, "/admin/inventory", consolePage),
        MatrixRow(.get, "/admin/filters", consolePage),
        MatrixRow(.get, "/admin/filters/{ref}", consolePage, path: "/admin/filters/web-to-db"),
        MatrixRow(.get, "/admin/grants", consolePage),
        MatrixRow(.get, "/admin/targets", consolePage),
        MatrixRow(.get, "/admin/tenants", consolePage),
        MatrixRow(.get, "/admin/users", consolePage),
        MatrixRow(.post, "/admin/tenants", consoleForm(303)) { _, _ in
            MatrixRequest(path: "/admin/tenants", form: ["name": MatrixWorld.unique("t"), "description": "made in the portal"])
        },
        MatrixRow(.post, "/admin/users", consoleForm(303)) { _, _ in
            MatrixRequest(path: "/admin/users", form: ["name": MatrixWorld.unique("u"), "role": "owner", "tenants": "shop", "password": "password-123456"])
        },
        MatrixRow(.post, "/admin/filters", consoleForm(303)) { _, _ in
            MatrixRequest(path: "/admin/filters", form: ["name": MatrixWorld.unique("f"), "tenant": "shop", "selector": "app=web", "direction": "both"])
        },
        MatrixRow(.post, "/admin/targets", consoleForm(303)) { _, _ in
            MatrixRequest(path: "/admin/targets", form: ["name": MatrixWorld.unique("tg"), "kind": "gre", "destination": "192.0.2.97"])
        },
        MatrixRow(.post, "/admin/grants", consoleForm(303)) { world, _ in
            MatrixRequest(path: "/admin/grants", form: ["user": "carol", "filter": try await world.shopFilter(), "target": "shop-recorder",
                                                         "max_duration": "1h"])
        },
        MatrixRow(.post, "/admin/tenants/{ref}/delete", consoleForm(303)) { world, _ in
            MatrixRequest(path: "/admin/tenants/\(try await world.tenant())/delete", form: [:])
        },
        MatrixRow(.post, "/admin/users/{ref}/delete", consoleForm(303)) { world, _ in
            MatrixRequest(path: "/admin/users/\(try await world.user())/delete", form: [:])
        },
        MatrixRow(.post, "/admin/filters/{ref}/delete", consoleForm(303)) { world, _ in
            MatrixRequest(path: "/admin/filters/\(try await world.shopFilter())/delete", form: [:])
        },
        MatrixRow(.post, "/admin/targets/{ref}/delete", consoleForm(303)) { world, _ in
            MatrixRequest(path: "/admin/targets/\(try await world.shopTarget())/delete", form: [:])
        },
        MatrixRow(.post, "/admin/grants/{ref}/delete", consoleForm(303)) { world, _ in
            MatrixRequest(path: "/admin/grants/\(try await world.grant())/delete", form: [:])
        },
        // The filter form's live preview answers JSON.
        MatrixRow(.post, "/admin/filters/preview", .api(owner: 403, withoutGrant: 403, otherTenant: 403, auditor: 403, admin: 200)) { _, _ in
            MatrixRequest(path: "/admin/filters/preview", form: ["name": "preview", "tenant": "shop", "selector": "app=web"])
        },
    ]
}
