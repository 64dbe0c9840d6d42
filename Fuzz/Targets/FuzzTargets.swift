import Crawl
import CurateCore
import Filters
import Foundation
import Imaging
import Train

/// The fuzz targets of `make fuzz`, one function each, by name: each feeds one input to the real
/// parser the stages use and checks only that it returns (a crash, hang, leak or sanitizer report
/// is the finding). `curate-fuzz` runs them under libFuzzer; FuzzRegressionTests replays the
/// committed inputs of `Tests/Fuzz/TARGET/` through them.
public enum FuzzTargets {
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "warc": warc, "http": http, "charset": charset, "html": html, "tokenizer": tokenizer,
        "image": image, "rules": rules, "safetensors": safetensors, "tar": tar,
    ]

    /// A scratch file for the readers that take a path (the WARC and tar readers), on tmpfs.
    static let scratch = "/dev/shm/curate-fuzz-\(getpid())"

    static func writeScratch(_ bytes: [UInt8]) -> String {
        _ = FileManager.default.createFile(atPath: scratch, contents: Data(bytes))
        return scratch
    }

    /// The WARC record reader (plain and gzip, with recovery) to the end of the input.
    public static func warc(_ bytes: [UInt8]) {
        guard let stream = try? DumpStream(path: writeScratch(bytes)) else { return }
        let reader = WARCReader(stream: stream, maxBlockBytes: 1 << 20)
        var events = 0
        while reader.next() != nil { events += 1; precondition(events < 1_000_000, "the WARC reader does not advance") }
    }

    /// The HTTP response parser, then the decoders a page body goes through.
    public static func http(_ bytes: [UInt8]) {
        guard case .success(let response) = HTTPResponse.parse(bytes) else { return }
        _ = Charset.decode(response.body, httpCharset: response.charset)
    }

    /// Charset detection and conversion; the first line, when short, is the HTTP charset label.
    public static func charset(_ bytes: [UInt8]) {
        let newline = bytes.firstIndex(of: 0x0A)
        let label = newline.flatMap { $0 < 40 ? String(decoding: bytes[..<$0], as: UTF8.self) : nil }
        let body = label == nil ? bytes : Array(bytes[(newline! + 1)...])
        let decoded = Charset.decode(body, httpCharset: label)
        precondition(String(validating: decoded.utf8, as: UTF8.self) != nil, "Charset.decode returned invalid UTF-8")
    }

    nonisolated(unsafe) static let extractor = HTMLExtractor()

    /// crawl-dump's extraction of references and sentences (curate's tokenizer and tree shape),
    /// on the decoded page.
    public static func html(_ bytes: [UInt8]) {
        let decoded = Charset.decode(bytes, httpCharset: nil)
        _ = extractor.extract(utf8: decoded.utf8, pageURL: WebURL(parsing: "http://fuzz.example/dir/page.html"))
    }

    /// The HTML tokenizer alone, in the state the first byte picks (data, RCDATA, RAWTEXT, script
    /// data, PLAINTEXT, CDATA), over the rest as UTF-8 (repaired first, as the charset pipeline
    /// hands it over); then the encoding prescan over the raw bytes.
    public static func tokenizer(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let text = Array(String(decoding: bytes.dropFirst(), as: UTF8.self).utf8)
        HTMLConformance.fuzzTokenizer(text, stateIndex: Int(first))
        _ = HTMLConformance.prescan(Array(bytes.dropFirst()))
    }

    /// The header probe, then the decoder (at most 4 megapixels, so a valid huge image is a
    /// refusal, not an out-of-memory report), then a resize of what decoded.
    public static func image(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            guard let info = try? ImageProbe.probe(raw) else { return }
            let options = DecodeOptions(maxPixels: 1 << 22, target: .shorterSide(64), maxJPEGScans: 100)
            _ = try? ImageDecoder.decode(raw, info: info, options: options)
        }
    }

    /// The TOML rule file parser and its validation.
    public static func rules(_ bytes: [UInt8]) {
        _ = try? RuleSet.parse(String(decoding: bytes, as: UTF8.self), path: "fuzz.toml")
    }

    /// The safetensors reader.
    public static func safetensors(_ bytes: [UInt8]) {
        _ = try? Safetensors.decode(bytes, path: "fuzz.safetensors")
    }

    /// The streaming tar reader, to the end or the first error.
    public static func tar(_ bytes: [UInt8]) {
        guard let reader = try? TarReader(path: writeScratch(bytes)) else { return }
        var members = 0
        while let member = try? reader.next() {
            _ = member
            members += 1
            precondition(members < 1_000_000, "the tar reader does not advance")
        }
    }
}
