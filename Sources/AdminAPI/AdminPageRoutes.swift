import AdminPage
import HTTPTypes
import Hummingbird

/// The admin page (Sources/AdminPage): `GET /app` is its index.html, `GET /app/assets/:file` its CSS and
/// JavaScript under content-hashed names. Public, like any static file: the page holds no data, and every
/// request it makes goes to the authenticated `/admin` API.
struct AdminPageRoutes {
    /// Only this origin's scripts, styles, images and requests; no plugins, no framing, no `<base>`, forms
    /// only to this origin; and Trusted Types, so that assigning a string to an HTML sink (innerHTML, …)
    /// throws instead of parsing it: the page inserts every value as text, and the browser enforces it.
    static let contentSecurityPolicy =
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; "
        + "require-trusted-types-for 'script'; trusted-types 'none'"

    let bundle: AdminPageBundle

    func register(on routes: inout RouteRegistry) {
        let index = bundle.index
        routes.add(.get, "/app", .open) { _, _ in
            // Revalidated every time: it is what names the current assets.
            Self.response(index, cacheControl: "no-cache")
        }
        routes.add(.get, "/app/assets/:file", .open) { _, context in
            let file = try context.parameters.require("file")
            guard let asset = bundle.assets[file] else { throw APIError.notFound("Asset \(file) was not found") }
            // The name changes with the content, so a cached copy is never stale.
            return Self.response(asset, cacheControl: "public, max-age=31536000, immutable")
        }
    }

    static func response(_ asset: AdminPageAsset, cacheControl: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType, .cacheControl: cacheControl,
                .contentSecurityPolicy: contentSecurityPolicy, .referrerPolicy: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
}
