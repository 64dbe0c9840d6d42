import CurateCore
import Foundation
import Imaging

/// The generator's output side: WARC records, the mirror, leftovers, the eval set, truth and detections.
extension CrawlGenerator {
    // MARK: Fetching

    /// Writes the request and response records for `url`.
    @discardableResult
    func fetch(_ url: String, body: [UInt8], contentType: String, transfer: HTTPMessage.Transfer = .identity, mirrored: Bool = true) throws -> (date: String, entity: [UInt8]) {
        fetched.insert(url)
        let parts = url.dropFirst("http://".count).split(separator: "/", maxSplits: 1)
        let host = String(parts[0]), path = "/" + (parts.count > 1 ? String(parts[1]) : "")
        if let apart = config.imagesApart, contentType.hasPrefix("image/") {
            // A web server maps the path without its query to a file.
            let filePath = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0].dropFirst()
            let file = URL(fileURLWithPath: apart).appendingPathComponent(host).appendingPathComponent(String(filePath))
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(body).write(to: file, options: .atomic)
            if config.mirror, mirrored { try mirror(url, body: body) }
            warc.truncateNext = false  // a cut-off download is a WARC record's fault: the server has the whole file
            return (warc.nextDate(), body)
        }
        let request = try warc.write(type: "request", uri: url, contentType: "application/http; msgtype=request", block: HTTPMessage.request(host: host, path: path))
        let response = HTTPMessage.response(contentType: contentType, body: body, transfer: transfer, date: request.date)
        let written = try warc.write(type: "response", uri: url, contentType: "application/http; msgtype=response", block: response.message,
                                     extra: [("WARC-Concurrent-To", request.id), ("WARC-Payload-Digest", "sha1:\(base32SHA1(response.entity))")])
        if config.mirror, mirrored { try mirror(url, body: body) }
        return (written.date, response.entity)
    }

    func fetchPending() throws {
        let queue = pending
        pending.removeAll()
        for (url, bytes, contentType) in queue where !fetched.contains(url) {
            try fetch(url, body: bytes, contentType: contentType)
        }
    }

    /// wget --mirror's layout: host/path, "index.html" for a folder, the query kept in the name.
    func mirror(_ url: String, body: [UInt8]) throws {
        var relative = String(url.dropFirst("http://".count))
        if relative.hasSuffix("/") { relative += "index.html" }
        let file = folder.appendingPathComponent("mirror").appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(body).write(to: file, options: .atomic)
    }

    /// Images no page references, then the last page's cut-off record.
    func writeLeftovers() throws {
        for k in 0..<2 {
            let scene = Scene.random(width: 280, height: 280, rng: &rng)
            let bytes = try scene.render(noiseSeed: rng.next()).encoded(.jpeg(quality: config.jpegQuality))
            let url = Self.site + "/images/orphan-\(k).jpg"
            register(Truth.Image(url: url, kind: .unreferenced, format: "jpeg", width: 280, height: 280, bytes: bytes.count, sha256: sha256(bytes),
                                 inDump: true, objects: objects(scene), description: Language.describe(scene)))
            try fetch(url, body: bytes, contentType: "image/jpeg")
        }
        let last = Self.site + "/images/last.jpg"
        if let index = imageIndex[last] {
            let scene = Scene.random(width: 300, height: 260, rng: &rng)
            let bytes = try scene.render(noiseSeed: rng.next()).encoded(.jpeg(quality: config.jpegQuality))
            images[index].format = "jpeg"
            (images[index].width, images[index].height) = (300, 260)
            images[index].bytes = bytes.count
            images[index].sha256 = sha256(bytes)
            warc.truncateNext = true  // the download broke off: no complete file to mirror either
            try fetch(last, body: bytes, contentType: "image/jpeg", mirrored: false)
        }
    }

    // MARK: Evaluation set, truth, detections

    /// eval/: near-duplicates (resized to 90%, JPEG q70) of every 12th content image, and as many
    /// unrelated scenes, which must not match anything in the crawl.
    func writeEval() throws {
        for (k, source) in evalSources.enumerated() {
            let decoded = try ImageDecoder.decode(source.bytes)
            let near = try decoded.resized(.stretch(width: decoded.width * 9 / 10, height: decoded.height * 9 / 10)).encoded(.jpeg(quality: 70))
            let path = "eval/eval-\(String(format: "%03d", k)).jpg"
            try Data(near).write(to: folder.appendingPathComponent(path), options: .atomic)
            if let index = imageIndex[source.url] { images[index].evalNearDuplicates = [path] }
            try writeTruth(Truth.Eval(path: path, nearDuplicateOf: source.url))
        }
        for k in 0..<evalSources.count {
            let scene = Scene.random(width: 288, height: 288, rng: &rng)
            let bytes = try scene.render(noiseSeed: rng.next()).encoded(.jpeg(quality: 70))
            let path = "eval/other-\(String(format: "%03d", k)).jpg"
            try Data(bytes).write(to: folder.appendingPathComponent(path), options: .atomic)
            try writeTruth(Truth.Eval(path: path, nearDuplicateOf: nil))
        }
    }

    func writeDetections(_ content: Content, url: String) throws {
        if contentCount % 12 == 6 { evalSources.append((url, content.bytes)) }
        var detections: [Truth.Detections.Detection] = []
        let w = content.image.width, h = content.image.height
        for object in content.scene.objects {
            let jitter = { (v: Int) in v + Int((self.rng.unit() - 0.5) * object.radius * 0.1) }
            let box = object.box.enumerated().map { i, v in max(0, min(i % 2 == 0 ? w : h, jitter(v))) }
            // One in ten true objects is seen with too little confidence (µ-VLA drops it).
            let confidence = rng.chance(0.1) ? 0.1 + 0.18 * rng.unit() : 0.55 + 0.44 * rng.unit()
            detections.append(.init(class: object.shape.rawValue, confidence: rounded(confidence), box: box))
        }
        if rng.chance(0.5) {  // a spurious low-confidence detection
            let x = rng.below(w / 2), y = rng.below(h / 2)
            detections.append(.init(class: rng.pick(ShapeKind.allCases).rawValue, confidence: rounded(0.05 + 0.2 * rng.unit()), box: [x, y, x + w / 4, y + h / 4]))
        }
        if rng.chance(0.3) {  // a tiny box, under 1% of the image
            let side = min(w, h) / 20, x = rng.below(w - side), y = rng.below(h - side)
            detections.append(.init(class: rng.pick(ShapeKind.allCases).rawValue, confidence: rounded(0.35 + 0.25 * rng.unit()), box: [x, y, x + side, y + side]))
        }
        let line = Truth.Detections(image: url, sha256: sha256(content.bytes), width: w, height: h, detections: detections)
        try detectionsFile.write(contentsOf: encoder.encode(line) + Data("\n".utf8))
    }

    func rounded(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

    func writeTruth<T: Encodable>(_ record: T) throws {
        try truthFile.write(contentsOf: encoder.encode(record) + Data("\n".utf8))
    }


    func sha256(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { ImageHash.sha256($0) } }
}
