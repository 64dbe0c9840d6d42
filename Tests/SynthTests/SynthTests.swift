import CurateCore
import Foundation
import Imaging
import Synth
import Testing
import TestSupport

/// The synthetic crawl: reproducible byte for byte, and its truth agrees with what it wrote.
@Suite(.serialized) struct SynthTests {
    static let committed = SharedCorpus.repositoryRoot.appendingPathComponent("samples")

    /// Generated once for the suite, into a temporary folder.
    static let generated: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-synth-\(UUID().uuidString)")
        _ = try! CrawlGenerator(config: .sample, folder: folder).run()
        return folder
    }()

    static func files(under root: URL) -> [String] {
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        return walker.compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .map { String($0.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1)) }
            .sorted()
    }

    /// `make samples` writes exactly what is committed.
    @Test func committedSampleIsReproducedByteForByte() throws {
        let made = Self.files(under: Self.generated)
        let kept = Self.files(under: Self.committed).filter { !$0.hasPrefix("images/") && $0 != "README.md" }
        #expect(made == kept)
        for path in made {
            let a = FileManager.default.contents(atPath: Self.generated.appendingPathComponent(path).path)
            let b = FileManager.default.contents(atPath: Self.committed.appendingPathComponent(path).path)
            #expect(a == b, "samples/\(path) differs from what `curate synth-crawl --size sample` writes")
        }
        let total = made.compactMap { try? FileManager.default.attributesOfItem(atPath: Self.committed.appendingPathComponent($0).path)[.size] as? Int }.reduce(0, +)
        #expect(total < 5_000_000)
    }

    struct Records {
        var images: [[String: Any]] = [], references: [[String: Any]] = [], pages: [[String: Any]] = [], evals: [[String: Any]] = []
    }

    nonisolated(unsafe) static let truth: Records = {  // read-only after its one initialisation
        var records = Records()
        let text = try! String(contentsOf: generated.appendingPathComponent("truth.jsonl"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            switch object["type"] as! String {
            case "image": records.images.append(object)
            case "reference": records.references.append(object)
            case "page": records.pages.append(object)
            default: records.evals.append(object)
            }
        }
        return records
    }()

    static func mirrorFile(_ url: String) -> URL {
        var relative = String(url.dropFirst("http://".count))
        if relative.hasSuffix("/") { relative += "index.html" }
        return generated.appendingPathComponent("mirror").appendingPathComponent(relative)
    }

    /// Every image the truth says is in the dump is in the mirror with the recorded SHA-256;
    /// missing and truncated ones are not.
    @Test func truthMatchesTheFilesWritten() throws {
        for image in Self.truth.images {
            let url = image["url"] as! String, inDump = image["in_dump"] as! Bool
            let bytes = FileManager.default.contents(atPath: Self.mirrorFile(url).path)
            if inDump {
                let data = try #require(bytes, "\(url) is in the dump per the truth but not in the mirror")
                #expect([UInt8](data).withUnsafeBytes { ImageHash.sha256($0) } == image["sha256"] as? String, "\(url)")
            } else {
                #expect(bytes == nil, "\(url) should be absent")
            }
        }
    }

    /// The noise of real crawls, each present in a known amount.
    @Test func everyKindOfNoiseIsPresent() throws {
        var kinds: [String: Int] = [:]
        for image in Self.truth.images { kinds[image["kind"] as! String, default: 0] += 1 }
        #expect(kinds["logo"] == 1 && kinds["icon"] == 3 && kinds["spacer"] == 1 && kinds["corrupt"] == 1 && kinds["truncated"] == 1)
        #expect(kinds["unreferenced"] == 2 && kinds["tracking"] == SynthConfig.sample.pages)
        for kind in ["banner", "thumbnail", "duplicate", "near_duplicate", "missing", "content"] { #expect((kinds[kind] ?? 0) > 0, "\(kind)") }

        let forms = Set(Self.truth.references.map { $0["form"] as! String })
        #expect(forms.isSuperset(of: ["absolute", "root_relative", "parent_relative", "protocol_relative", "base_relative", "srcset_w",
                                      "srcset_x", "lazy_data_src", "picture_source", "picture_img"]))
        let styles = Set(Self.truth.references.map { $0["alt_style"] as! String })
        #expect(styles.isSuperset(of: ["description", "short", "long", "typo", "empty", "missing", "filename", "dimensions", "generic", "non_english"]))
        // One generic alt text on more than 10 different images.
        let generic = Set(Self.truth.references.filter { $0["alt"] as? String == "product image" }.map { $0["url"] as! String })
        #expect(generic.count > 10)
        // One image on many pages under different alt texts.
        var altsPerImage: [String: Set<String>] = [:]
        for ref in Self.truth.references where ref["kind"] as? String == "content" {
            altsPerImage[ref["url"] as! String, default: []].insert((ref["alt"] as? String) ?? "<none>")
        }
        #expect(altsPerImage.values.map(\.count).max()! >= 6)
        // Exact duplicates really are the same bytes under another URL.
        let bySHA = Dictionary(grouping: Self.truth.images.filter { $0["kind"] as? String == "content" }, by: { $0["sha256"] as! String })
        for duplicate in Self.truth.images where duplicate["kind"] as? String == "duplicate" {
            #expect(bySHA[duplicate["sha256"] as! String]?.first?["url"] as? String == duplicate["of"] as? String)
        }
    }

    /// The windows-1252 page is served as such and carries accented alt text.
    @Test func windows1252Page() throws {
        let page = try #require(Self.truth.pages.first { $0["charset"] as? String == "windows-1252" })
        let bytes = try #require(FileManager.default.contents(atPath: Self.mirrorFile(page["url"] as! String).path))
        #expect(String(data: bytes, encoding: .utf8) == nil)  // é as a single byte 0xE9: not UTF-8
        let text = try #require(String(data: bytes, encoding: .windowsCP1252))
        #expect(text.contains("café crème") && text.contains("charset=\"windows-1252\""))
    }

    /// Content images are photo-sized; their descriptions name their objects; the corrupt one fails to decode.
    @Test func contentImagesDecodeAtPhotoSizes() throws {
        for image in Self.truth.images {
            let kind = image["kind"] as! String
            guard kind == "content" || kind == "corrupt" else { continue }
            let bytes = [UInt8](try #require(FileManager.default.contents(atPath: Self.mirrorFile(image["url"] as! String).path)))
            if kind == "corrupt" {
                #expect(throws: ImagingError.self) { try ImageDecoder.decode(bytes) }
                continue
            }
            let decoded = try ImageDecoder.decode(bytes)
            #expect(decoded.width >= 256 && decoded.height >= 256)
            let description = image["description"] as! String
            for object in image["objects"] as! [[String: Any]] {
                #expect(description.contains(object["colour"] as! String) && description.contains(object["shape"] as! String))
            }
        }
    }

    /// One detections line per content image; the boxes of confident detections are the true ones
    /// (within the 5% jitter); µ-VLA's drop cases (confidence < 0.3, area < 1%) both occur.
    @Test func detectionsFollowTheTruth() throws {
        let text = try String(contentsOf: Self.generated.appendingPathComponent("detections.jsonl"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(lines.count == Self.truth.images.filter { $0["kind"] as? String == "content" }.count)
        var lowConfidence = 0, tiny = 0
        for line in lines {
            let area = Double((line["width"] as! Int) * (line["height"] as! Int))
            for d in line["detections"] as! [[String: Any]] {
                let box = d["box"] as! [Int]
                if (d["confidence"] as! Double) < 0.3 { lowConfidence += 1 }
                if Double((box[2] - box[0]) * (box[3] - box[1])) < 0.01 * area { tiny += 1 }
            }
        }
        #expect(lowConfidence > 5 && tiny > 5)
    }

    /// Each eval near-duplicate is within pHash distance 8 of its crawl image; the unrelated eval
    /// images are at least 12 from every content image.
    @Test func evalSetNearDuplicatesItsSources() throws {
        let contentHashes = try Self.truth.images.filter { $0["kind"] as? String == "content" }.map { image -> (String, UInt64) in
            let bytes = [UInt8](FileManager.default.contents(atPath: Self.mirrorFile(image["url"] as! String).path)!)
            return (image["url"] as! String, ImageHash.perceptual(try ImageDecoder.decode(bytes)))
        }
        let hashOf = Dictionary(uniqueKeysWithValues: contentHashes)
        #expect(Self.truth.evals.count >= 6)
        for eval in Self.truth.evals {
            let bytes = [UInt8](FileManager.default.contents(atPath: Self.generated.appendingPathComponent(eval["path"] as! String).path)!)
            let hash = ImageHash.perceptual(try ImageDecoder.decode(bytes))
            if let source = eval["near_duplicate_of"] as? String {
                #expect(ImageHash.hammingDistance(hash, hashOf[source]!) <= 8, "\(eval["path"]!)")
            } else {
                #expect(contentHashes.allSatisfy { ImageHash.hammingDistance(hash, $0.1) >= 12 }, "\(eval["path"]!)")
            }
        }
    }

    /// Page sentences: some describe images on the page, the rest are unrelated prose.
    @Test func pageSentencesMixDescriptionsAndProse() throws {
        let sentences = Self.truth.pages.flatMap { $0["sentences"] as! [[String: Any]] }
        let describing = sentences.filter { $0["describes"] != nil }
        #expect(describing.count > 30 && sentences.count - describing.count > 50)
    }
}
