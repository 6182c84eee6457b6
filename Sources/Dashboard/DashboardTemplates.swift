import Foundation
import Mustache

/// The dashboard's templates and style sheet, compiled into the binary (`.embedInCode`), so the pages work wherever
/// the binary runs, with no resource bundle beside it.
struct DashboardTemplates: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        let templates: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache),
            ("login", PackageResources.login_mustache),
            ("message", PackageResources.message_mustache),
            ("today", PackageResources.today_mustache),
            ("calls", PackageResources.calls_mustache),
            ("call", PackageResources.call_mustache),
            ("moves", PackageResources.moves_mustache),
            ("move", PackageResources.move_mustache),
            ("texts", PackageResources.texts_mustache),
            ("grid", PackageResources.grid_mustache),
            ("day", PackageResources.day_mustache),
        ]
        for (name, bytes) in templates {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    static let styleSheet = String(decoding: PackageResources.dashboard_css, as: UTF8.self)

    /// The page for `model`, rendered by the template `name` (every value HTML-escaped).
    func render(_ model: Any, template name: String) -> String {
        library.render(model, withTemplate: name) ?? "<!doctype html><p>Missing template \(name)</p>"
    }
}
