/// What every page's frame shows: the business, who is signed in (the CSRF token for the forms), which section is
/// open, and a message about the last action.
struct PageChrome: Sendable {
    enum Section: Sendable { case today, calls, moves, texts, none }

    var business: String
    var signedIn: Bool
    var csrf: String
    var onToday = false
    var onCalls = false
    var onMoves = false
    var onTexts = false
    var flash: String?
    var error: String?

    init(business: String, csrf: String?, section: Section, flash: String? = nil, error: String? = nil) {
        self.business = business
        self.signedIn = csrf != nil
        self.csrf = csrf ?? ""
        switch section {
        case .today: onToday = true
        case .calls: onCalls = true
        case .moves: onMoves = true
        case .texts: onTexts = true
        case .none: break
        }
        self.flash = flash
        self.error = error
    }
}

/// A page with no data of its own: the sign-in form, or a message.
struct LoginPage: Sendable {
    var chrome: PageChrome
    var csrf: String
    var needsToken: Bool
}

struct MessagePage: Sendable {
    var chrome: PageChrome
    var heading: String
    var text: String
}
