import Foundation

/// A shard sample's `KEY.json`: written by build-shards, read by the trainer, the retrieval
/// code and the report. Keys sorted, slashes not escaped (the bytes are part of the shard's digest).
public struct SampleMetadata: Codable, Sendable, Equatable {
    public enum TextSource: String, Codable, Sendable {
        case alt, title, figcaption
        case ariaLabel = "aria_label"
        /// A µ-VLA weak pair: a retrieved sentence, with `tags`, `rank` and `score` set.
        case weak
    }

    public var key: String
    public var pageURL: String
    public var imageURL: String
    public var imageSHA256: String
    public var width: Int
    public var height: Int
    public var textSource: TextSource
    /// Weak pairs only: the image's tags in order, the sentence's rank and its score (−BM25).
    public var tags: [String]?
    public var rank: Int?
    public var score: Double?
    /// The text's language by CLD2 (filter's `text_languages`: `un` when CLD2 cannot tell), its
    /// confidence, and the language the page declares (`<html lang>`); nil for weak pairs.
    public var language: String?
    public var languageConfidence: Double?
    public var pageLanguage: String?

    enum CodingKeys: String, CodingKey {
        case key, width, height, tags, rank, score, language
        case languageConfidence = "language_confidence", pageLanguage = "page_language"
        case pageURL = "page_url", imageURL = "image_url", imageSHA256 = "image_sha256", textSource = "text_source"
    }

    public init(key: String, pageURL: String, imageURL: String, imageSHA256: String, width: Int, height: Int, textSource: TextSource,
                tags: [String]? = nil, rank: Int? = nil, score: Double? = nil, language: SampleLanguage? = nil) {
        self.key = key; self.pageURL = pageURL; self.imageURL = imageURL; self.imageSHA256 = imageSHA256
        self.width = width; self.height = height; self.textSource = textSource; self.tags = tags; self.rank = rank; self.score = score
        self.language = language?.language; self.languageConfidence = language?.confidence; self.pageLanguage = language?.declared
    }

    /// Whether the sample is a weak pair (the trainer weighs those by --weak-weight).
    public var isWeak: Bool { textSource == .weak }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// The metadata of `bytes`, or nil when they are not a sample's json.
    public static func decode(_ bytes: [UInt8]?) -> SampleMetadata? {
        guard let bytes else { return nil }
        return try? JSONDecoder().decode(SampleMetadata.self, from: Data(bytes))
    }
}

/// A text's language as filter identified it, and its page's declared language.
public struct SampleLanguage: Codable, Sendable, Equatable {
    public var language: String?
    public var confidence: Double?
    public var declared: String?
    public init(language: String?, confidence: Double?, declared: String?) {
        self.language = language; self.declared = declared
        // Two decimals: the json stays short and the same on every machine.
        self.confidence = confidence.map { ($0 * 100).rounded() / 100 }
    }
}
