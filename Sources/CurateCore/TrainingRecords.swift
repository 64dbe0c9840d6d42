// What the trainer records and the report, the plot and `curate search` read: the recall figures
// and the lines of MODEL/metrics.jsonl, one Codable type each.
import Foundation

/// Image→text and text→image recall@1, 5, 10 with chance beside them, counted as COCO counts
/// them when an image has several captions (a weak pair's five sentences are five val samples of
/// one image): text→image is right when the caption's image is in the top k of the distinct
/// images; image→text, over the distinct images, when any of the image's captions is in the top
/// k of all captions.
public struct Recall: Codable, Sendable, Equatable {
    public static let ks = [1, 5, 10]

    /// Captions (val pairs).
    public var count: Int
    /// Distinct images among them.
    public var images: Int
    public var imageToText: [Double]
    public var textToImage: [Double]
    /// Chance of image→text: for an image with c of the n captions, 1 − C(n−c, k) / C(n, k), averaged.
    public var imageToTextChance: [Double]
    /// Chance of text→image: k / images.
    public var textToImageChance: [Double]

    public init(count: Int, images: Int, imageToText: [Double], textToImage: [Double], imageToTextChance: [Double], textToImageChance: [Double]) {
        self.count = count; self.images = images; self.imageToText = imageToText; self.textToImage = textToImage
        self.imageToTextChance = imageToTextChance; self.textToImageChance = textToImageChance
    }

    enum CodingKeys: String, CodingKey {
        case count, images
        case imageToText = "image_to_text", textToImage = "text_to_image"
        case imageToTextChance = "image_to_text_chance", textToImageChance = "text_to_image_chance"
        /// metrics.jsonl before the rename: text→image's chance was `chance`.
        case legacyChance = "chance"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        images = try c.decodeIfPresent(Int.self, forKey: .images) ?? count
        imageToText = try c.decode([Double].self, forKey: .imageToText)
        textToImage = try c.decode([Double].self, forKey: .textToImage)
        textToImageChance = try c.decodeIfPresent([Double].self, forKey: .textToImageChance)
            ?? c.decodeIfPresent([Double].self, forKey: .legacyChance) ?? []
        imageToTextChance = try c.decodeIfPresent([Double].self, forKey: .imageToTextChance) ?? textToImageChance
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(images, forKey: .images)
        try c.encode(imageToText, forKey: .imageToText)
        try c.encode(textToImage, forKey: .textToImage)
        try c.encode(imageToTextChance, forKey: .imageToTextChance)
        try c.encode(textToImageChance, forKey: .textToImageChance)
    }

    /// One line: "val recall over N pairs of M images: image→text R@1 … (chance …); text→image …".
    public var summary: String {
        func f(_ v: [Double]) -> String { zip(Recall.ks, v).map { String(format: "R@%d %.3f", $0, $1) }.joined(separator: " ") }
        return "val recall over \(count) pairs of \(images) images: image→text \(f(imageToText)) (chance \(f(imageToTextChance))); "
            + "text→image \(f(textToImage)) (chance \(f(textToImageChance)))"
    }
}

/// One line of metrics.jsonl: a training step (loss and the rest set) or an evaluation (`eval` set).
public struct MetricsLine: Codable, Sendable, Equatable {
    public var step: Int
    public var loss: Double?
    public var lr: Double?
    /// exp(logit scale): 1/τ.
    public var temperature: Double?
    public var gradNorm: Double?
    /// The model's step alone.
    public var pairsPerSecond: Double?
    /// Wall time since the previous step, waits included.
    public var stepSeconds: Double?
    /// Weak pairs in the step's batch.
    public var weakPairs: Int?
    public var eval: Recall?

    enum CodingKeys: String, CodingKey {
        case step, loss, lr, temperature, eval
        case gradNorm = "grad_norm", pairsPerSecond = "pairs_per_s", stepSeconds = "step_seconds", weakPairs = "weak_pairs"
    }

    public init(step: Int, loss: Double? = nil, lr: Double? = nil, temperature: Double? = nil, gradNorm: Double? = nil,
                pairsPerSecond: Double? = nil, stepSeconds: Double? = nil, weakPairs: Int? = nil, eval: Recall? = nil) {
        self.step = step; self.loss = loss; self.lr = lr; self.temperature = temperature; self.gradNorm = gradNorm
        self.pairsPerSecond = pairsPerSecond; self.stepSeconds = stepSeconds; self.weakPairs = weakPairs; self.eval = eval
    }

    public var isStep: Bool { loss != nil }

    /// The line as metrics.jsonl holds it (keys sorted), without the newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Every readable line of a metrics.jsonl text; others are skipped.
    public static func lines(of text: String) -> [MetricsLine] {
        let decoder = JSONDecoder()
        return text.split(separator: "\n").compactMap { try? decoder.decode(MetricsLine.self, from: Data($0.utf8)) }
    }
}
