import CurateCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Imaging

/// Writes a synthetic crawl of the "Shapes Gallery" site: crawl.warc.gz (one gzip member per
/// record), optionally mirror/ (wget --mirror layout), eval/, truth.jsonl and detections.jsonl.
/// The same configuration always writes the same bytes.
public final class CrawlGenerator {
    static let host = "www.shapes-gallery.example", cdn = "cdn.shapes-gallery.example"
    static let site = "http://\(host)"

    let config: SynthConfig
    let folder: URL
    var rng: SeededRNG
    let warc: WARCWriter
    let truthFile: FileHandle, detectionsFile: FileHandle
    let encoder: JSONEncoder

    /// Every image URL in order of first mention, with its truth (written at the end).
    var images: [Truth.Image] = []
    var imageIndex: [String: Int] = [:]
    /// Bytes of images referenced but not yet fetched by the crawler.
    var pending: [(url: String, bytes: [UInt8], contentType: String)] = []
    var fetched: Set<String> = []
    var contentCount = 0
    /// Content images remembered for later pages: the popular one, and originals to duplicate.
    var popular: (url: String, scene: Scene)?
    var recent: [(url: String, image: RGBImage, scene: Scene)] = []
    /// The content images eval/ near-duplicates (every 12th), kept until writeEval.
    var evalSources: [(url: String, bytes: [UInt8])] = []

    public init(config: SynthConfig, folder: URL) throws {
        self.config = config
        self.folder = folder
        rng = SeededRNG(seed: config.seed)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for sub in ["eval", "mirror"] {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(sub))
            }
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("eval"), withIntermediateDirectories: true)
        } catch {
            throw SynthError.cannotWrite(folder.path)
        }
        // The three streamed outputs are written under temporary names and renamed when complete
        // (run()), so a killed run never leaves a partial file under a final name.
        warc = try WARCWriter(path: folder.appendingPathComponent(Self.temporary(Self.warcName(0, of: config.warcFiles))).path, seed: config.seed ^ 0x5741_5243)
        func create(_ name: String) throws -> FileHandle {
            let path = folder.appendingPathComponent(Self.temporary(name)).path
            FileManager.default.createFile(atPath: path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: path) else { throw SynthError.cannotWrite(path) }
            return handle
        }
        truthFile = try create("truth.jsonl")
        detectionsFile = try create("detections.jsonl")
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// The name an output has until it is complete.
    static func temporary(_ name: String) -> String { ".curate-tmp-" + name }

    /// The name of WARC file `k` of `count`: Common Crawl's five-digit numbering when there are several.
    public static func warcName(_ k: Int, of count: Int) -> String {
        count == 1 ? "crawl.warc.gz" : String(format: "crawl-%05d.warc.gz", k)
    }

    /// The file a page's records go in: consecutive pages, as even as the count allows.
    func warcFile(ofPage page: Int) -> Int { page * config.warcFiles / config.pages }

    func writeWARCInfo() throws {
        try warc.write(type: "warcinfo", uri: nil, contentType: "application/warc-fields",
                       block: Array("software: curate synth-crawl \(CurateVersion.string)\r\nformat: WARC File Format 1.1\r\nrobots: classic\r\nisPartOf: shapes-gallery (synthetic, seed \(config.seed))\r\n".utf8))
    }

    /// What was written, for the command's summary.
    public struct Summary: Sendable {
        public var pages = 0, records = 0, contentImages = 0, warcBytes = 0
        public var warcFiles: [String] = []
        public var kinds: [String: Int] = [:]
    }

    public func run() throws -> Summary {
        try writeWARCInfo()
        var file = 0
        for page in 0..<config.pages {
            if warcFile(ofPage: page) != file {
                // Each file starts with its own warcinfo. An image is fetched once, so a page of a
                // later file may use an image whose record is in an earlier file (the logo, the
                // popular image): references cross files, as they do between a crawl and a refetch.
                file = warcFile(ofPage: page)
                try warc.rotate(to: folder.appendingPathComponent(Self.temporary(Self.warcName(file, of: config.warcFiles))).path)
                try writeWARCInfo()
            }
            try writePage(page)
            Fault.point()
        }
        try writeLeftovers()
        try writeEval()
        for image in images { try writeTruth(image) }
        try warc.close()
        try truthFile.close()
        try detectionsFile.close()
        for name in (0..<config.warcFiles).map({ Self.warcName($0, of: config.warcFiles) }) + ["truth.jsonl", "detections.jsonl"] {
            let from = folder.appendingPathComponent(Self.temporary(name)).path, to = folder.appendingPathComponent(name).path
            guard rename(from, to) == 0 else { throw SynthError.cannotWrite(to) }
        }
        var summary = Summary()
        summary.pages = config.pages
        summary.contentImages = contentCount
        summary.warcFiles = (0..<config.warcFiles).map { Self.warcName($0, of: config.warcFiles) }
        summary.warcBytes = summary.warcFiles.reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)[.size] as? Int) ?? 0)
        }
        for image in images { summary.kinds[image.kind.rawValue, default: 0] += 1 }
        return summary
    }

    // MARK: Pages

    func pageURL(_ page: Int) -> String { page == 0 ? Self.site + "/" : Self.site + "/gallery/page-\(String(format: "%04d", page)).html" }

    func writePage(_ page: Int) throws {
        let url = pageURL(page)
        let usesBase = page % 5 == 4
        let charset = page == 2 ? "windows-1252" : "utf-8"
        var html = HTMLBuilder(page: url, base: usesBase ? Self.site + "/images/" : nil, charset: charset)
        var sentences: [Truth.Sentence] = []

        // Site furniture on every page: logo, three icons; a banner on every third page.
        let logo = furniture("/static/logo.png", kind: .logo) { $0.logo() }
        html.image(logo, alt: rng.chance(0.5) ? "Shapes Gallery" : "", altStyle: "site", kind: .logo)
        for name in ["rss", "mail", "share"] {
            let icon = furniture("/static/icons/\(name).png", kind: .icon) { $0.icon(name) }
            html.image(icon, alt: rng.chance(0.5) ? name : "", altStyle: "site", kind: .icon)
        }
        if page % 3 == 0 {
            let banner = furniture("/banners/b\(page % 2).jpg", kind: .banner) { $0.banner(page % 2) }
            html.image(banner, alt: rng.pick(["Summer sale", "", "Subscribe now"]), altStyle: "site", kind: .banner)
        }
        html.paragraph((0..<rng.int(1...2)).map { _ in unrelated(&sentences) })

        // Content images.
        let count = rng.int(config.contentPerPage)
        for slot in 0..<count {
            let content = makeContent()
            let style = altStyle(page: page, slot: slot)
            let (alt, styleName) = altText(content.scene, style: style, page: page)
            try reference(&html, content: content, page: page, alt: alt, altStyle: styleName, usesBase: usesBase, sentences: &sentences)
            if rng.chance(0.35) { html.paragraph([unrelated(&sentences)]) }
        }
        // The popular image, again, under another alt text.
        if page > 0, page <= 8, let popular {
            let (alt, styleName) = altText(popular.scene, style: [.short, .long, .typo, .prefixed, .nonEnglish, .description, .filename, .empty][page - 1], page: page)
            html.image(HTMLBuilder.Ref(src: popular.url, url: popular.url, form: "absolute"), alt: alt, altStyle: styleName, kind: .content)
        }
        try derivedImages(&html, page: page)
        if page % 2 == 1 { thumbnail(&html) }
        if page % 4 == 2 {
            let missing = Self.site + "/images/missing-\(page).jpg"
            register(Truth.Image(url: missing, kind: .missing, inDump: false))
            html.image(HTMLBuilder.Ref(src: "/images/missing-\(page).jpg", url: missing, form: "root_relative"), alt: "a picture that was never crawled", altStyle: "description", kind: .missing)
        }
        if page == config.pages - 1 {
            // Its record is the last in the WARC and is cut short (written by writeLeftovers).
            let last = Self.site + "/images/last.jpg"
            register(Truth.Image(url: last, kind: .truncated, inDump: false))
            html.image(HTMLBuilder.Ref(src: "/images/last.jpg", url: last, form: "root_relative"), alt: "the last picture", altStyle: "description", kind: .truncated)
        }
        html.paragraph((0..<rng.int(2...4)).map { _ in unrelated(&sentences) })
        // Spacer and tracking pixel.
        let spacer = furniture("/px/spacer.gif", kind: .spacer) { _ in Self.pixelGIF }
        html.image(spacer, alt: "", altStyle: "site", kind: .spacer)
        let tracking = furniture("/px/t.gif?p=\(page)", kind: .tracking) { _ in Self.pixelGIF }
        html.image(tracking, alt: nil, altStyle: "site", kind: .tracking)
        if page == 0 {
            html.links((1..<config.pages).map(pageURL))
        }

        // The response, then the images it references, as a crawler fetches them.
        let transfer: HTTPMessage.Transfer = page % 10 == 7 ? [.gzip, .chunked] : page % 5 == 1 ? .gzip : page % 5 == 3 ? .chunked : .identity
        let body = html.render()
        let encoded = charset == "utf-8" ? Array(body.utf8) : Array(body.data(using: .windowsCP1252) ?? Data(body.utf8))
        let contentType = "text/html; charset=\(charset)"
        let written = try fetch(url, body: encoded, contentType: contentType, transfer: transfer)
        for ref in html.references { try writeTruth(ref) }
        try writeTruth(Truth.Page(url: url, charset: charset, transfer: transfer.name, revisited: page % 7 == 5, sentences: sentences))
        try fetchPending()
        if page % 7 == 5 {
            // Fetched again later with an identical payload: a revisit record.
            let date = warc.nextDate()
            try warc.write(type: "revisit", uri: url, contentType: "application/http; msgtype=response",
                           block: HTTPMessage.revisitHeaders(contentType: contentType, date: date, length: written.entity.count),
                           extra: [("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                                   ("WARC-Refers-To-Target-URI", url), ("WARC-Refers-To-Date", written.date),
                                   ("WARC-Payload-Digest", "sha1:\(base32SHA1(written.entity))")])
        }
    }

    func unrelated(_ sentences: inout [Truth.Sentence]) -> String {
        let text = Language.unrelatedSentence(rng: &rng)
        sentences.append(Truth.Sentence(text: text, describes: nil))
        return text
    }

    /// The reference forms content images cycle through.
    static let forms = ["absolute", "root_relative", "parent_relative", "protocol_relative", "srcset_w", "srcset_x", "lazy_data_src", "picture"]

    /// Places a content image on the page in the next reference form, with its sentence.
    func reference(_ html: inout HTMLBuilder, content: Content, page: Int, alt: String?, altStyle: String, usesBase: Bool, sentences: inout [Truth.Sentence]) throws {
        var form = Self.forms[contentCount % Self.forms.count]
        if usesBase, ["root_relative", "parent_relative"].contains(form) { form = "base_relative" }
        let name = content.path.split(separator: "/").last.map(String.init)!
        var url = Self.site + content.path
        let ref: HTMLBuilder.Ref
        switch form {
        case "absolute": ref = .init(src: url, url: url, form: form)
        case "root_relative": ref = .init(src: content.path, url: url, form: form)
        case "parent_relative": ref = .init(src: ".." + content.path, url: url, form: form)
        case "base_relative": ref = .init(src: name, url: url, form: form)
        case "protocol_relative":
            url = "http://\(Self.cdn)/img/\(name)"
            ref = .init(src: "//\(Self.cdn)/img/\(name)", url: url, form: form)
        case "srcset_w":
            let small = content.path.replacingOccurrences(of: ".", with: "-320.")
            register(Truth.Image(url: Self.site + small, kind: .missing, inDump: false))
            ref = .init(src: small, url: url, form: form, srcset: "\(small) 320w, \(content.path) \(content.image.width)w")
        case "srcset_x":
            let double = content.path.replacingOccurrences(of: ".", with: "@2x.")
            register(Truth.Image(url: Self.site + double, kind: .missing, inDump: false))
            ref = .init(src: content.path, url: url, form: form, srcset: "\(content.path) 1x, \(double) 2x")
        case "lazy_data_src":
            ref = .init(src: "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==", url: url, form: form, dataSrc: content.path)
        default:  // picture: a WebP <source> (a near-duplicate re-encoding) before the <img>
            let webpPath = content.path.replacingOccurrences(of: "/images/", with: "/images/webp/").split(separator: ".").dropLast().joined(separator: ".") + ".webp"
            let webp = try content.image.encoded(.webp(quality: 70))
            register(Truth.Image(url: Self.site + webpPath, kind: .nearDuplicate, format: "webp", width: content.image.width, height: content.image.height,
                                 bytes: webp.count, sha256: sha256(webp), inDump: true, of: url))
            pending.append((Self.site + webpPath, webp, "image/webp"))
            ref = .init(src: content.path, url: url, form: "picture_img", pictureSource: webpPath)
        }
        var truth = contentTruth(content, url: url)
        if content.corrupt { truth.kind = .corrupt; truth.objects = nil; truth.description = nil }
        register(truth)
        pending.append((url, content.bytes, content.contentType))
        if !content.corrupt { try writeDetections(content, url: url) }
        if contentCount == 1 { popular = (url, content.scene) }
        recent.append((url, content.image, content.scene))
        if recent.count > 4 { recent.removeFirst() }

        let describing = rng.chance(0.8) ? Language.describingSentence(content.scene, rng: &rng) : nil
        let title = rng.chance(0.15) ? Language.phrase(Language.groups(content.scene)[0]) : nil
        let caption = rng.chance(0.15) ? Language.describingSentence(content.scene, rng: &rng) : nil
        if let caption { sentences.append(Truth.Sentence(text: caption, describes: url)) }
        html.image(ref, alt: alt, altStyle: altStyle, kind: content.corrupt ? .corrupt : .content, title: title, figcaption: caption)
        if let describing {
            sentences.append(Truth.Sentence(text: describing, describes: url))
            html.paragraph([describing])
        }
    }

    /// Exact duplicates (same bytes, another URL) and near-duplicates of recent content images.
    func derivedImages(_ html: inout HTMLBuilder, page: Int) throws {
        guard let original = recent.first else { return }
        if page % 3 == 1 {
            guard let index = imageIndex[original.url], let bytes = pendingOrEncoded(original.url, image: original.image) else { return }
            let copy = Self.site + "/mirror/dup-\(page).\(images[index].format == "png" ? "png" : images[index].format == "webp" ? "webp" : "jpg")"
            register(Truth.Image(url: copy, kind: .duplicate, format: images[index].format, width: original.image.width, height: original.image.height,
                                 bytes: bytes.count, sha256: sha256(bytes), inDump: true, of: original.url))
            pending.append((copy, bytes, "image/\(images[index].format ?? "jpeg")"))
            html.image(HTMLBuilder.Ref(src: copy, url: copy, form: "absolute"), alt: Language.describe(original.scene), altStyle: "description", kind: .duplicate)
        } else if page % 3 == 2 {
            let cropped = rng.chance(0.5)
            let w = original.image.width, h = original.image.height
            let altered = cropped ? original.image.resized(.centerCrop(min(w, h) * 92 / 100)) : original.image.resized(.stretch(width: w * 3 / 4, height: h * 3 / 4))
            let bytes = try altered.encoded(.jpeg(quality: 60))
            let url = Self.site + "/images/near-\(page).jpg"
            register(Truth.Image(url: url, kind: .nearDuplicate, format: "jpeg", width: altered.width, height: altered.height,
                                 bytes: bytes.count, sha256: sha256(bytes), inDump: true, of: original.url))
            pending.append((url, bytes, "image/jpeg"))
            html.image(HTMLBuilder.Ref(src: "/images/near-\(page).jpg", url: url, form: "root_relative"), alt: Language.describe(original.scene), altStyle: "description", kind: .nearDuplicate)
        }
    }

    /// A thumbnail under 200 px of its own scene.
    func thumbnail(_ html: inout HTMLBuilder) {
        let scene = Scene.random(width: 150, height: 112, rng: &rng, maxObjects: 2)
        let bytes = (try? scene.render(noiseSeed: rng.next()).encoded(.jpeg(quality: 70))) ?? []
        let url = Self.site + "/thumbs/t\(images.count).jpg"
        register(Truth.Image(url: url, kind: .thumbnail, format: "jpeg", width: 150, height: 112, bytes: bytes.count, sha256: sha256(bytes),
                             inDump: true, objects: objects(scene), description: Language.describe(scene)))
        pending.append((url, bytes, "image/jpeg"))
        html.image(HTMLBuilder.Ref(src: url, url: url, form: "absolute"), alt: Language.describe(scene), altStyle: "description", kind: .thumbnail)
    }

    // MARK: Alt texts

    /// The alt style for a content slot: generic on the first image of pages 1-12 (one alt on
    /// more than 10 images), French on the windows-1252 page, otherwise a weighted draw.
    func altStyle(page: Int, slot: Int) -> Language.AltStyle {
        if slot == 0, (1...12).contains(page), page != 2 { return .generic }
        if page == 2 { return .nonEnglish }
        let weighted: [(Language.AltStyle, Int)] = [(.description, 30), (.short, 12), (.long, 12), (.typo, 6), (.prefixed, 5),
                                                    (.empty, 8), (.missing, 8), (.filename, 4), (.dimensions, 3), (.image, 2),
                                                    (.photo, 2), (.clickHere, 2), (.nonEnglish, 6)]
        var draw = rng.below(weighted.map(\.1).reduce(0, +))
        for (style, weight) in weighted {
            if draw < weight { return style }
            draw -= weight
        }
        return .description
    }

    func altText(_ scene: Scene, style: Language.AltStyle, page: Int) -> (String?, String) {
        if page == 2 { return (Language.french(scene) + " — café crème", "non_english") }  // accented, in windows-1252
        return (Language.alt(scene, style: style, rng: &rng), style.rawValue)
    }

    // MARK: Images

    struct Content {
        var scene: Scene
        var image: RGBImage
        var bytes: [UInt8]
        var path: String
        var format: String
        var contentType: String
        var corrupt = false
    }

    func makeContent() -> Content {
        contentCount += 1
        let id = contentCount
        let width = rng.int(config.sides), height = rng.int(config.sides)
        var scene = Scene.random(width: width, height: height, rng: &rng)
        let draw = rng.unit()
        let format = draw < 0.7 ? "jpeg" : draw < 0.85 ? "png" : "webp"
        if format == "png", case .speckle = scene.background {
            scene.background = .gradient(RGB(230, 230, 240), RGB(200, 210, 230), vertical: true)  // PNGs of noise are huge
        }
        let image = scene.render(noiseSeed: rng.next())
        var bytes: [UInt8]
        switch format {
        case "png": bytes = (try? image.encoded(.png)) ?? []
        case "webp": bytes = (try? image.encoded(.webp(quality: 80))) ?? []
        default: bytes = (try? image.encoded(.jpeg(quality: config.jpegQuality))) ?? []
        }
        let ext = format == "jpeg" ? "jpg" : format
        var content = Content(scene: scene, image: image, bytes: bytes, path: "/images/c\(String(format: "%05d", id)).\(ext)",
                              format: format, contentType: "image/\(format)")
        if id == 7 {
            // One corrupt body: a real JPEG header followed by noise.
            content.corrupt = true
            content.bytes = Array(bytes.prefix(600)) + (0..<4000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return content
    }

    func contentTruth(_ content: Content, url: String) -> Truth.Image {
        Truth.Image(url: url, kind: .content, format: content.format, width: content.image.width, height: content.image.height,
                    bytes: content.bytes.count, sha256: sha256(content.bytes), inDump: true,
                    objects: objects(content.scene), description: Language.describe(content.scene))
    }

    func objects(_ scene: Scene) -> [Truth.Object] {
        scene.objects.map { Truth.Object(shape: $0.shape.rawValue, colour: $0.colour.name, size: $0.size.rawValue, box: $0.box) }
    }

    /// A site asset (logo, icon, banner, pixel): registered and queued once, referenced on every page.
    func furniture(_ path: String, kind: Truth.ImageKind, make: (inout AssetMaker) -> (bytes: [UInt8], format: String, width: Int, height: Int)) -> HTMLBuilder.Ref {
        let url = Self.site + path
        if imageIndex[url] == nil {
            var maker = AssetMaker(rng: rng.derived(UInt64(images.count)))
            let asset = make(&maker)
            register(Truth.Image(url: url, kind: kind, format: asset.format, width: asset.width, height: asset.height,
                                 bytes: asset.bytes.count, sha256: sha256(asset.bytes), inDump: true))
            pending.append((url, asset.bytes, "image/\(asset.format)"))
        }
        return HTMLBuilder.Ref(src: path, url: url, form: "root_relative")
    }

    /// The 43-byte transparent 1×1 GIF that every tracking pixel serves.
    static let pixelGIF: ([UInt8], String, Int, Int) = ([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0,
                                                        0x21, 0xF9, 4, 1, 0, 0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3B], "gif", 1, 1)

    func register(_ image: Truth.Image) {
        guard imageIndex[image.url] == nil else { return }
        imageIndex[image.url] = images.count
        images.append(image)
    }

    func pendingOrEncoded(_ url: String, image: RGBImage) -> [UInt8]? {
        if let queued = pending.first(where: { $0.url == url }) { return queued.bytes }
        guard let index = imageIndex[url], images[index].kind == .content else { return nil }
        // Already fetched: re-encode exactly as the original was (encoders are deterministic).
        switch images[index].format {
        case "png": return try? image.encoded(.png)
        case "webp": return try? image.encoded(.webp(quality: 80))
        default: return try? image.encoded(.jpeg(quality: config.jpegQuality))
        }
    }
}
