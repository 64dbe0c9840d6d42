import Foundation
import Testing
import CurateCore
import Imaging
import Render
import Shards
@testable import Train

@Suite struct ShardDataTests {
    static func folder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("curate-train-data-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func sample(_ i: Int, members: [String] = ["jpg", "txt", "json"]) -> Sample {
        Sample(key: String(format: "t%09d", i), members: members.map { ($0, Array("\($0) of \(i)".utf8)) })
    }

    /// Two shards, the second cut inside its third sample: five samples come back whole, in order,
    /// members grouped by key, and the damage is counted once.
    @Test func readsSamplesAcrossShardsAndCountsATruncatedOne() throws {
        let folder = Self.folder()
        let writer = try ShardWriter(folder: folder, prefix: "train", maxSamples: 3, maxBytes: 1 << 20)
        for i in 0..<6 { try writer.add(Self.sample(i)) }
        try writer.finish()
        let second = folder + "/train-000001.tar"
        let bytes = [UInt8](FileManager.default.contents(atPath: second)!)
        FileManager.default.createFile(atPath: second, contents: Data(bytes[0..<(bytes.count / 2 + 100)]))
        let set = try ShardSet(folder: folder)
        #expect(set.train.count == 2 && set.val.isEmpty && set.textPairs.isEmpty)
        let reader = SampleReader(shards: set.train)
        var samples: [RawSample] = []
        while let sample = reader.next() { samples.append(sample) }
        #expect(samples.map(\.key) == (0..<samples.count).map { String(format: "t%09d", $0) })
        #expect(samples.count >= 3 && samples.count < 6)
        #expect(samples.allSatisfy { Set($0.members.keys) == ["jpg", "txt", "json"] })
        #expect(samples[1].members["txt"] == Array("txt of 1".utf8))
        #expect(reader.counts.dropped[.shardTruncated] == 1)
        #expect(reader.damage.count == 1 && reader.damage[0].hasPrefix(second + " at byte "), "\(reader.damage)")
        #expect(throws: ShardDataError.self) { try ShardSet(folder: Self.folder()) }
    }

    /// Three vertical stripes (red, green, blue) 300×100: resize keeps all three, the centre crop
    /// only the green one. Values are mapped to [-1, 1].
    @Test func imagesAreResizedOrCroppedToTheModelsInput() throws {
        var image = RGBImage(width: 300, height: 100)
        for y in 0..<100 { for x in 0..<300 {
            let colour = x < 100 ? RGB(255, 0, 0) : x < 200 ? RGB(0, 255, 0) : RGB(0, 0, 255)
            image.pixels.replaceSubrange((3 * (y * 300 + x))..<(3 * (y * 300 + x) + 3), with: [colour.r, colour.g, colour.b])
        } }
        let png = try image.encoded(.png)
        let size = 12
        var planes = [Float](repeating: 0, count: 3 * size * size)
        try ModelInput.image(png, size: size, fit: .resize, into: &planes)
        #expect(planes[0] > 0.99 && planes[size - 1] < -0.99)                         // red plane: left edge red, right edge not
        #expect(planes[2 * size * size + size - 1] > 0.99)                             // blue plane: right edge blue
        try ModelInput.image(png, size: size, fit: .centerCrop, into: &planes)
        #expect(planes[size * size..<(2 * size * size)].allSatisfy { $0 > 0.99 })      // green everywhere
        #expect(planes[0..<(size * size)].allSatisfy { $0 < -0.99 })
        #expect(throws: (any Error).self) { try ModelInput.image([1, 2, 3], size: size, fit: .resize, into: &planes) }
    }

    /// build-shards' render at a model's size and font size (a gray PNG) gives the trainer the
    /// same inputs as rendering the caption itself; a render of another font size is not used.
    @Test func aStoredRenderAtTheModelsSizeEqualsRenderingIt() throws {
        var options = RenderOptions.clippo
        options.imageSize = 64
        options.fontSize = 8
        let renderer = try TextRenderer(font: try Unifont.load(), options: options)
        let caption = "Two blue squares and a large pink circle on a white page"
        let stored = try renderer.renderGray(caption).encodedPNG()
        var fromShard = [Float](repeating: 0, count: 3 * 64 * 64), rendered = fromShard
        #expect(ModelInput.text(caption, stored: stored, storedAs: StoredRender(size: 64, fontSize: 8), size: 64, renderer: renderer, into: &fromShard))
        #expect(!ModelInput.text(caption, stored: nil, size: 64, renderer: renderer, into: &rendered))
        #expect(fromShard == rendered)
        #expect(!ModelInput.text(caption, stored: stored, storedAs: StoredRender(size: 64, fontSize: 16), size: 64, renderer: renderer, into: &fromShard),
                "a render at font size 16 does not stand for one at 8")
    }

    /// A stored render of the right size is used as it is; of another size, the text is rendered.
    @Test func storedRendersAreUsedWhenTheyFit() throws {
        var options = RenderOptions.clippo
        options.imageSize = 32
        let renderer = try TextRenderer(font: try Unifont.load(), options: options)
        var stored = RGBImage(width: 32, height: 32, fill: RGB(10, 10, 10))
        stored.pixels[0] = 250
        var planes = [Float](repeating: 0, count: 3 * 32 * 32)
        ModelInput.text("a red circle", stored: try stored.encoded(.png), storedAs: StoredRender(size: 32, fontSize: 16), size: 32, renderer: renderer, into: &planes)
        #expect(planes[0] == 250 / 127.5 - 1 && planes[1] == 10 / 127.5 - 1)
        let wrongSize = try RGBImage(width: 64, height: 64).encoded(.png)
        ModelInput.text("a red circle", stored: wrongSize, size: 32, renderer: renderer, into: &planes)
        let rendered = renderer.renderRGB("a red circle")
        #expect(planes[0..<(32 * 32)].elementsEqual(stride(from: 0, to: rendered.pixels.count, by: 3).map { Float(rendered.pixels[$0]) / 127.5 - 1 }))
    }
}
