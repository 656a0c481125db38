import Foundation
import Hummingbird
import Logging
import Mustache

/// Renders the portal's Mustache templates (`Resources/portal/templates/*.mustache`, loaded once
/// at start). Pages extend the `layout` template; `form` and `field` are shared partials.
/// Values are HTML-escaped by Mustache (`{{value}}`).
struct PageRenderer: Sendable {
    private let library: MustacheLibrary
    let stylesheet: String
    let script: String

    init(assets: StaticAssets, logger: Logger) {
        var library = MustacheLibrary()
        let folder = Bundle.module.resourceURL?.appendingPathComponent("portal/templates")
        let files = folder.flatMap { try? FileManager.default.contentsOfDirectory(at: $0, includingPropertiesForKeys: nil) } ?? []
        for file in files where file.pathExtension == "mustache" {
            do {
                try library.register(String(contentsOf: file, encoding: .utf8), named: file.deletingPathExtension().lastPathComponent)
            } catch {
                logger.error("portal template does not parse", metadata: ["template": "\(file.lastPathComponent)", "error": "\(error)"])
            }
        }
        if files.isEmpty { logger.error("portal templates not found in the resource bundle") }
        self.library = library
        self.stylesheet = assets.url(of: "portal.css")
        self.script = assets.url(of: "portal.js")
    }

    /// The HTML of `template` for `page`, or `nil` when there is no such template.
    func render(_ template: String, _ page: some Any) -> String? {
        library.render(page, withTemplate: template)
    }
}
