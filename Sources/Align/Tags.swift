import Catalog
import CurateCore
import Foundation

/// The ordered object tags of one image and where they came from.
public struct ImageTags: Sendable, Equatable {
    /// Where tags come from, in order of preference.
    public enum Source: String, Sendable {
        /// An object detector's output (`--detections`), filtered by µ-VLA's rules.
        case detector
        /// The image's own context: words of its file name, `title` and figcaption.
        case context
        /// Reserved for tags from a trained curate model (zero-shot tagging, a later issue);
        /// a `TagProvider` that produces them slots in before `.context`.
        case model
    }

    public var tags: [String]
    public var source: Source
}

/// What the tag providers may look at for one image: a kept image as the catalog gives it.
public typealias ImageContext = CatalogStore.KeptImageContext

/// The seam for tag sources: curate asks each provider in turn and takes the first answer.
/// Today: `DetectionTags` (a detector's JSON lines), then `ContextTags`. A zero-shot tagger built
/// on a trained curate model will be a third conforming type, placed between the two.
public protocol TagProvider: Sendable {
    func tags(for image: ImageContext) -> ImageTags?
}

/// One detection as an object detector reports it.
public struct Detection: Sendable, Equatable, Decodable {
    public var `class`: String
    public var confidence: Double
    /// [x0, y0, x1, y1] in pixels.
    public var box: [Double]

    public var area: Double { box.count == 4 ? max(0, box[2] - box[0]) * max(0, box[3] - box[1]) : 0 }
}

/// Tags from a detector's output: one JSON object per line,
/// `{"image": URL, "sha256": HEX (optional), "width": W, "height": H, "detections": [{"class": C,
/// "confidence": P, "box": [x0, y0, x1, y1]}, …]}` (README: "Detections"). µ-VLA's rules: keep
/// detections with confidence ≥ 0.3 and a box of at least 1% of the image; the tags are the
/// distinct classes, most detections first, then the largest total box area, then the name.
public struct DetectionTags: TagProvider {
    struct Line: Decodable {
        var image: String?
        var sha256: String?
        var width: Double
        var height: Double
        var detections: [Detection]
    }

    public var minConfidence = 0.3
    public var minAreaFraction = 0.01
    private var byKey: [String: [String]] = [:]
    /// Lines that could not be read, with their line numbers (counted, not fatal).
    public private(set) var skipped: [(line: Int, why: String)] = []
    public private(set) var images = 0

    /// A line longer than this is skipped unread (about 15,000 detections; a detector writes tens).
    public static let maxLineBytes = 1 << 20

    /// Reads the file a line at a time (memory stays bounded by one line, whatever the file's size).
    public init(path: String, minConfidence: Double = 0.3, minAreaFraction: Double = 0.01) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw AlignError.detectionsUnreadable(path: path) }
        defer { try? handle.close() }
        self.minConfidence = minConfidence
        self.minAreaFraction = minAreaFraction
        let decoder = JSONDecoder()
        var number = 0
        var pending: [UInt8] = [], overlong = false
        func take(_ line: ArraySlice<UInt8>) {
            number += 1
            guard !overlong else {
                skipped.append((number, "a line of more than \(Self.maxLineBytes) bytes"))
                overlong = false
                return
            }
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
            guard let parsed = try? decoder.decode(Line.self, from: Data(line)), parsed.image != nil || parsed.sha256 != nil else {
                skipped.append((number, "not {image or sha256, width, height, detections}"))
                return
            }
            let tags = Self.tags(parsed.detections, width: parsed.width, height: parsed.height, minConfidence: minConfidence, minArea: minAreaFraction)
            if let url = parsed.image { byKey[url] = tags }
            if let sha = parsed.sha256 { byKey["sha256:" + sha.lowercased()] = tags }
            images += 1
        }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch { throw AlignError.detectionsUnreadable(path: path) }
            if chunk.isEmpty { break }
            var rest = [UInt8](chunk)[...]
            while let newline = rest.firstIndex(of: 0x0A) {
                if overlong { take([]) } else { pending += rest[..<newline]; take(pending[...]) }
                pending.removeAll(keepingCapacity: true)
                rest = rest[(newline + 1)...]
            }
            if !overlong { pending += rest }
            if pending.count > Self.maxLineBytes { overlong = true; pending = [] }
        }
        if overlong || !pending.isEmpty { take(pending[...]) }
    }

    /// µ-VLA's filter and order over one image's detections.
    public static func tags(_ detections: [Detection], width: Double, height: Double, minConfidence: Double = 0.3, minArea: Double = 0.01) -> [String] {
        let imageArea = max(width * height, 1)
        var count: [String: Int] = [:], area: [String: Double] = [:]
        for d in detections where d.confidence >= minConfidence && d.area >= minArea * imageArea {
            let name = d.class.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { continue }
            count[name, default: 0] += 1
            area[name, default: 0] += d.area
        }
        return count.keys.sorted { a, b in (count[a]!, area[a]!, b) > (count[b]!, area[b]!, a) }
    }

    public func tags(for image: ImageContext) -> ImageTags? {
        // An image whose detections all fail µ-VLA's rules has no detector tags: the next provider answers.
        if let tags = byKey["sha256:" + image.sha256.lowercased()] ?? image.urls.lazy.compactMap({ byKey[$0] }).first, !tags.isEmpty {
            return ImageTags(tags: tags, source: .detector)
        }
        return nil
    }
}

/// Tags from the image's own context when no detector saw it: the words of its file name (without
/// extension, digits and camera prefixes), of its `title` attributes and of its figcaptions, in
/// that order, without duplicates or stop words.
public struct ContextTags: TagProvider {
    static let stopWords: Set<String> = ["a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "with", "by", "from",
                                         "is", "are", "this", "that", "img", "image", "images", "photo", "picture", "pic", "jpg",
                                         "jpeg", "png", "gif", "webp", "dsc", "thumb", "thumbnail", "copy", "final", "small", "large"]
    public init() {}

    public func tags(for image: ImageContext) -> ImageTags? {
        let tokenizer = Tokenizer()
        var seen = Set<String>(), tags: [String] = []
        let fileNames = image.urls.compactMap { URL(string: $0)?.deletingPathExtension().lastPathComponent }
        for text in fileNames + image.titles + image.figcaptions {
            for word in tokenizer.words(text) where !Self.stopWords.contains(word) && !word.allSatisfy(\.isNumber) && word.count > 1 {
                if seen.insert(word).inserted { tags.append(word) }
            }
        }
        return tags.isEmpty ? nil : ImageTags(tags: tags, source: .context)
    }
}
