/// Limits on the texts the booking system sends, against abuse of the operator's Twilio account (SMS pumping: a
/// caller making it text premium or far-away numbers).
package struct TextRules: Sendable, Equatable {
    /// Texts about one job (confirmations and codes) in any 24 hours.
    package var perJobPerDay: Int = 3
    /// Texts one caller can have sent in any hour, counted by their number (by the call when it is hidden).
    package var perCallerPerHour: Int = 5
    /// ISO 3166 codes of the countries texts may go to (`SMS_ALLOWED_COUNTRIES`).
    package var allowedCountries: Set<String> = ["US", "CA"]

    package init() {}

    /// Whether a text may go to `number` (E.164).
    package func allows(_ number: String) -> Bool {
        guard let country = PhoneCountry.of(number) else { return false }
        return allowedCountries.contains(country)
    }
}

/// The country of an E.164 number, from its calling code; within +1, from the area code (the United States,
/// Canada, and the Caribbean and Pacific countries that share +1, where pumping fraud often sends texts).
package enum PhoneCountry {
    /// The ISO 3166 code of the country `number` belongs to, or `nil` when it is not one this table knows.
    package static func of(_ number: String) -> String? {
        guard number.hasPrefix("+") else { return nil }
        let digits = number.dropFirst()
        guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        if digits.hasPrefix("1") {
            guard digits.count == 11 else { return nil }
            let areaCode = String(digits.dropFirst().prefix(3))
            if let country = sharedPlusOne[areaCode] { return country }
            return canadianAreaCodes.contains(areaCode) ? "CA" : "US"
        }
        for length in (1...3).reversed() {
            if let country = callingCodes[String(digits.prefix(length))] { return country }
        }
        return nil
    }

    /// Whether `code` is a country this table can recognise (for checking `SMS_ALLOWED_COUNTRIES`).
    package static func isKnown(_ code: String) -> Bool {
        code == "US" || code == "CA" || sharedPlusOne.values.contains(code) || callingCodes.values.contains(code)
    }

    /// Canada's area codes (NANPA).
    static let canadianAreaCodes: Set<String> = [
        "204", "226", "236", "249", "250", "257", "263", "273", "289", "306", "343", "354", "365", "367", "368", "382",
        "387", "403", "416", "418", "428", "431", "437", "438", "450", "460", "468", "474", "506", "514", "519", "548",
        "579", "581", "584", "587", "600", "604", "613", "622", "639", "647", "672", "683", "705", "709", "742", "753",
        "778", "780", "782", "807", "819", "825", "867", "873", "879", "902", "905", "942",
    ]

    /// Area codes of +1 that are neither the United States nor Canada.
    static let sharedPlusOne: [String: String] = [
        "242": "BS", "246": "BB", "264": "AI", "268": "AG", "284": "VG", "345": "KY", "441": "BM", "473": "GD",
        "649": "TC", "658": "JM", "664": "MS", "721": "SX", "758": "LC", "767": "DM", "784": "VC", "809": "DO",
        "829": "DO", "849": "DO", "868": "TT", "869": "KN", "876": "JM",
    ]

    /// Calling codes outside +1 (ITU-T E.164), the longest match wins.
    static let callingCodes: [String: String] = [
        "7": "RU", "20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE", "33": "FR", "34": "ES", "36": "HU",
        "39": "IT", "40": "RO", "41": "CH", "43": "AT", "44": "GB", "45": "DK", "46": "SE", "47": "NO", "48": "PL",
        "49": "DE", "51": "PE", "52": "MX", "53": "CU", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "58": "VE",
        "60": "MY", "61": "AU", "62": "ID", "63": "PH", "64": "NZ", "65": "SG", "66": "TH", "81": "JP", "82": "KR",
        "84": "VN", "86": "CN", "90": "TR", "91": "IN", "92": "PK", "93": "AF", "94": "LK", "95": "MM", "98": "IR",
        "212": "MA", "213": "DZ", "216": "TN", "234": "NG", "254": "KE", "351": "PT", "352": "LU", "353": "IE",
        "354": "IS", "356": "MT", "357": "CY", "358": "FI", "359": "BG", "370": "LT", "371": "LV", "372": "EE",
        "380": "UA", "385": "HR", "386": "SI", "420": "CZ", "421": "SK", "852": "HK", "886": "TW", "971": "AE",
        "972": "IL", "966": "SA",
    ]
}
