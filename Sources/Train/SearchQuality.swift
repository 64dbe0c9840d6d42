// Does a search for a colour and a shape find images that hold them? Judged against a synthetic
// crawl's truth (truth.jsonl: each image's drawn objects), over the val images: for each colour
// and shape that some val image holds, the query "a large pink circle" (the phrasing rotates:
// "a C S", "a large C S", "two C Ss", "a small C S"; only colour and shape are judged) ranks the
// images, and its precision is the fraction of the top min(5, R) that hold an object of that
// colour and shape, R being how many val images do. The quality is the mean over the queries.
import Foundation
import CurateCore

/// The objects each image of a synthetic crawl holds, by the image's SHA-256 (hex).
public struct ImageTruth: Sendable {
    public struct Object: Hashable, Sendable, Codable {
        public var colour: String
        public var shape: String
        public init(colour: String, shape: String) { self.colour = colour; self.shape = shape }
    }

    public var objects: [String: Set<Object>]

    public init(objects: [String: Set<Object>]) { self.objects = objects }

    /// Reads truth.jsonl (curate synth-crawl's): its "image" lines with a sha256.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainError(message: "cannot read \(path); pass --truth with the truth.jsonl curate synth-crawl wrote beside its crawl")
        }
        struct Line: Decodable {
            var type: String?
            var sha256: String?
            var objects: [Object]?
        }
        var objects: [String: Set<Object>] = [:]
        let decoder = JSONDecoder()
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            guard let parsed = try? decoder.decode(Line.self, from: Data(line)) else {
                throw TrainError(message: "\(path) line \(number + 1) is not a JSON object; pass the truth.jsonl curate synth-crawl wrote")
            }
            if parsed.type == "image", let sha = parsed.sha256 { objects[sha] = Set(parsed.objects ?? []) }
        }
        guard !objects.isEmpty else { throw TrainError(message: "\(path) names no image; pass the truth.jsonl curate synth-crawl wrote") }
        self.objects = objects
    }
}

/// One colour-and-shape query and how it did.
public struct ShapeQuery: Sendable, Equatable {
    public var query: String, colour: String, shape: String
    /// Val images that hold an object of this colour and shape.
    public var relevant: Int
    /// Of the top min(5, relevant) images, the fraction that do.
    public var precision: Double
    /// Of the same images, the fractions that hold an object of the colour, and of the shape.
    public var colourPrecision = 0.0, shapePrecision = 0.0
}

public struct SearchQuality: Sendable {
    public var queries: [ShapeQuery]
    /// Val images the truth knows, of all val images searched.
    public var judged: Int, images: Int
    public var mean: Double { queries.isEmpty ? 0 : queries.map(\.precision).reduce(0, +) / Double(queries.count) }
    /// Colours and shapes with at least one query.
    public var colours: Set<String> { Set(queries.map(\.colour)) }
    public var shapes: Set<String> { Set(queries.map(\.shape)) }

    /// The colour alone and the shape alone, averaged as `mean` is: which of the two the model found.
    public var colourMean: Double { queries.isEmpty ? 0 : queries.map(\.colourPrecision).reduce(0, +) / Double(queries.count) }
    public var shapeMean: Double { queries.isEmpty ? 0 : queries.map(\.shapePrecision).reduce(0, +) / Double(queries.count) }

    /// "search quality 0.912 over 53 colour-and-shape queries (11 colours, 5 shapes; 128 val images;
    /// the colour alone 0.95, the shape alone 0.93)"
    public var summary: String {
        String(format: "search quality %.3f over %d colour-and-shape queries (%d colours, %d shapes; %d val images; the colour alone %.2f, the shape alone %.2f)",
               mean, queries.count, colours.count, shapes.count, images, colourMean, shapeMean)
    }

    /// The query for a colour and a shape, phrased the `variant`-th way.
    public static func phrase(colour: String, shape: String, variant: Int) -> String {
        switch variant % 4 {
        case 0: "a \(colour) \(shape)"
        case 1: "a large \(colour) \(shape)"
        case 2: "two \(colour) \(shape)s"
        default: "a small \(colour) \(shape)"
        }
    }

    /// Judges ranked image lists: `rank(query)` gives the val images' SHA-256s, best first.
    static func judge(truth: ImageTruth, images: [String], rank: ([String]) -> [[String]]) -> SearchQuality {
        let judged = images.filter { truth.objects[$0] != nil }
        let all = judged.flatMap { truth.objects[$0]! }
        let colours = Set(all.map(\.colour)).sorted(), shapes = Set(all.map(\.shape)).sorted()
        var queries: [ShapeQuery] = []
        for (ci, colour) in colours.enumerated() {
            for (si, shape) in shapes.enumerated() {
                let object = ImageTruth.Object(colour: colour, shape: shape)
                let relevant = judged.filter { truth.objects[$0]!.contains(object) }.count
                if relevant > 0 {
                    queries.append(ShapeQuery(query: phrase(colour: colour, shape: shape, variant: ci + si), colour: colour, shape: shape,
                                              relevant: relevant, precision: 0))
                }
            }
        }
        let rankings = rank(queries.map(\.query))
        for i in queries.indices {
            let top = rankings[i].filter { truth.objects[$0] != nil }.prefix(min(5, queries[i].relevant))
            let object = ImageTruth.Object(colour: queries[i].colour, shape: queries[i].shape)
            queries[i].precision = Double(top.filter { truth.objects[$0]!.contains(object) }.count) / Double(top.count)
            queries[i].colourPrecision = Double(top.filter { truth.objects[$0]!.contains { $0.colour == object.colour } }.count) / Double(top.count)
            queries[i].shapePrecision = Double(top.filter { truth.objects[$0]!.contains { $0.shape == object.shape } }.count) / Double(top.count)
        }
        return SearchQuality(queries: queries, judged: judged.count, images: images.count)
    }
}

/// What `make demo` prints of its model: colour-and-shape search and alt-text recall.
public struct DemoQuality: Sendable {
    public var search: SearchQuality
    /// Recall over the alt-text (not weak) val pairs, an image with several captions one image.
    public var altText: Recall?

    /// Two lines: the search quality, and text→image recall over the alt-text val pairs.
    public var summary: String {
        search.summary + "\n" + (altText.map {
            String(format: "text→image R@1 %.3f (R@5 %.3f, R@10 %.3f; chance %.3f) over the %d alt-text val pairs of %d images",
                   $0.textToImage[0], $0.textToImage[1], $0.textToImage[2], $0.textToImageChance[0], $0.count, $0.images)
        } ?? "no alt-text val pairs: no text→image recall")
    }
}

extension Embedder {
    /// Colour-and-shape search over the val images, judged against `truth`, and the alt-text
    /// val pairs' recall.
    public func demoQuality(shards: ShardSet, truth: ImageTruth) -> DemoQuality {
        let gallery = Gallery(shards: shards, embedder: self)
        let alt = gallery.altText
        var texts = [[Float]](repeating: [], count: gallery.captions.count)
        for (i, embedding) in zip(alt, embed(texts: alt.map { gallery.captions[$0] })) { texts[i] = embedding }
        return DemoQuality(search: searchQuality(gallery: gallery, truth: truth), altText: gallery.recall(alt, texts: texts))
    }

    func searchQuality(gallery: Gallery, truth: ImageTruth) -> SearchQuality {
        var images: [String] = [], seen = Set<String>()
        for i in gallery.embeddings.indices where gallery.embeddings[i] != nil && seen.insert(gallery.identities[i]).inserted {
            images.append(gallery.identities[i])
        }
        return SearchQuality.judge(truth: truth, images: images) { queries in
            zip(queries, embed(texts: queries)).map { _, query in
                gallery.rank(query, top: images.count).map { gallery.identities[gallery.keys.firstIndex(of: $0.key)!] }
            }
        }
    }
}
