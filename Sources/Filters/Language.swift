import CCLD2Glue

/// What language a text is in, by CLD2 (Chrome's Compact Language Detector 2, Debian's
/// libcld2-dev, through CCLD2Glue). `language` is CLD2's code ("en", "de", "zh-Hant"; "un" when it
/// cannot tell). `confidence` is the share of the text's letters CLD2 gives that language, and 0
/// when CLD2 does not call its answer reliable: a rule's `min_confidence` above 0 keeps only
/// answers CLD2 stands behind.
public struct LanguageGuess: Sendable, Equatable {
    public var language: String
    public var confidence: Double
    public var reliable: Bool

    public static let unknown = "un"

    /// The part before the first `-`, lower-cased: "en-US" → "en", "zh-Hant" → "zh".
    public static func primary(_ code: String) -> String {
        String(code.prefix { $0 != "-" && $0 != "_" }).lowercased()
    }
}

public enum LanguageIdentifier {
    /// CLD2's version and data build date.
    public static var version: String { String(cString: curate_cld2_version()) }

    /// The language of one text (plain UTF-8, as Swift's strings are).
    public static func identify(_ text: String) -> LanguageGuess {
        var text = text
        return text.withUTF8 { bytes in identify(bytes) }
    }

    /// The language of `bytes` of UTF-8; bytes past the valid prefix are not read.
    public static func identify(_ bytes: UnsafeBufferPointer<UInt8>) -> LanguageGuess {
        var out = curate_language()
        bytes.withMemoryRebound(to: CChar.self) { chars in
            curate_identify_language(chars.baseAddress, Int32(clamping: chars.count), &out)
        }
        let code = withUnsafeBytes(of: out.code) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let reliable = out.reliable != 0 && code != LanguageGuess.unknown
        return LanguageGuess(language: code.isEmpty ? LanguageGuess.unknown : code,
                             confidence: reliable ? Double(out.percent) / 100 : 0, reliable: reliable)
    }
}
