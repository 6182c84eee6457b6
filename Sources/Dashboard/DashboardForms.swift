/// The dashboard's forms, as their bodies arrive (`application/x-www-form-urlencoded`). Every one carries the CSRF
/// token of the session (or, for signing in, of the sign-in form).
enum DashboardForms {
    struct SignIn: Decodable {
        var csrf: String
        var token: String
    }

    struct CSRFOnly: Decodable {
        var csrf: String
    }

    /// `cancel` and `resend` need only the token; `reschedule` a date and a window.
    struct MoveChange: Decodable {
        var csrf: String
        var date: String?
        var window: String?
    }

    /// A failed text sent again, to `phone` when it is given.
    struct TextRetry: Decodable {
        var csrf: String
        var phone: String?
    }
}
