import CurateCore
/// Builds one page of the synthetic site and records, for the truth, every image reference on it.
struct HTMLBuilder {
    /// How the HTML points at an image.
    struct Ref {
        var src: String
        var url: String
        var form: String
        var srcset: String? = nil
        var dataSrc: String? = nil
        var pictureSource: String? = nil
    }

    let page: String
    let base: String?
    let charset: String
    private var body: [String] = []
    private(set) var references: [Truth.Reference] = []

    init(page: String, base: String?, charset: String) {
        self.page = page
        self.base = base
        self.charset = charset
    }

    /// An <img> (inside <picture> or <figure> when asked), recorded as a reference.
    mutating func image(_ ref: Ref, alt: String?, altStyle: String, kind: Truth.ImageKind, title: String? = nil, figcaption: String? = nil) {
        var src = ref.src
        // On a page with <base href=".../images/">, relative paths are written against it.
        if base != nil, src.hasPrefix("/"), !src.hasPrefix("//"), ref.form != "base_relative", ref.form != "root_relative" {
            src = ".." + src
        }
        var tag = "<img"
        if let dataSrc = ref.dataSrc { tag += " class=\"lazy\" data-src=\"\(escape(dataSrc))\"" }
        tag += " src=\"\(escape(src))\""
        if let srcset = ref.srcset { tag += " srcset=\"\(escape(srcset))\"" }
        if let alt { tag += " alt=\"\(escape(alt))\"" }
        if let title { tag += " title=\"\(escape(title))\"" }
        tag += ">"
        if let source = ref.pictureSource {
            tag = "<picture><source srcset=\"\(escape(source))\" type=\"image/webp\">\(tag)</picture>"
            references.append(Truth.Reference(page: page, form: "picture_source", src: source, url: absolute(source), kind: .nearDuplicate,
                                              alt: nil, altStyle: "none", title: nil, figcaption: nil))
        }
        if let figcaption { tag = "<figure>\(tag)<figcaption>\(escape(figcaption))</figcaption></figure>" }
        body.append(tag)
        references.append(Truth.Reference(page: page, form: ref.form, src: ref.dataSrc ?? src, url: ref.url, kind: kind,
                                          alt: alt, altStyle: alt == nil ? "missing" : altStyle, title: title, figcaption: figcaption))
    }

    mutating func paragraph(_ sentences: [String]) {
        body.append("<p>" + sentences.map(escape).joined(separator: " ") + "</p>")
    }

    mutating func links(_ urls: [String]) {
        body.append("<ul>" + urls.map { "<li><a href=\"\(escape($0))\">\(escape($0))</a></li>" }.joined() + "</ul>")
    }

    func render() -> String {
        var head = "<!DOCTYPE html>\n<html lang=\"\(charset == "utf-8" ? "en" : "fr")\">\n<head>\n<meta charset=\"\(charset)\">\n<title>Shapes Gallery</title>\n"
        if let base { head += "<base href=\"\(base)\">\n" }
        return head + "</head>\n<body>\n<main>\n" + body.joined(separator: "\n") + "\n</main>\n</body>\n</html>\n"
    }

    /// The absolute URL of a site path.
    private func absolute(_ path: String) -> String { CrawlGenerator.site + path }

    /// Attribute values are in double quotes: apostrophes stay as they are.
    private func escape(_ s: String) -> String { HTMLText.escaped(s, apostrophe: false) }
}
