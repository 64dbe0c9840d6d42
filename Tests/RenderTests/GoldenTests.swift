import Foundation
import Imaging
import Testing
import TestSupport
@testable import Render

/// curate's renders against big_vision's own `render_unifont` op, run in TensorFlow by
/// Tests/Golden/unifont_reference.py over Tests/Golden/unifont-cases.json (PNGs in Tests/Golden/unifont).
@Suite struct GoldenTests {
    struct Case: Decodable {
        var name: String
        var text: String
        var options: [String: JSONValue]?
    }

    /// A JSON option value: big_vision's arguments are integers and booleans.
    enum JSONValue: Decodable {
        case int(Int), bool(Bool)
        init(from decoder: Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let flag = try? single.decode(Bool.self) { self = .bool(flag) } else { self = .int(try single.decode(Int.self)) }
        }
        var int: Int { if case .int(let v) = self { v } else { 0 } }
        var bool: Bool { if case .bool(let v) = self { v } else { false } }
    }

    static let golden = SharedCorpus.repositoryRoot.appendingPathComponent("Tests/Golden")

    static let cases: [Case] = {
        struct File: Decodable { var cases: [Case] }
        let data = FileManager.default.contents(atPath: golden.appendingPathComponent("unifont-cases.json").path) ?? Data()
        return (try? JSONDecoder().decode(File.self, from: data).cases) ?? []
    }()

    /// big_vision's argument names → RenderOptions.
    static func options(_ arguments: [String: JSONValue]?) -> RenderOptions {
        var options = RenderOptions.clippo
        for (name, value) in arguments ?? [:] {
            switch name {
            case "image_size": options.imageSize = value.int
            case "font_size": options.fontSize = value.int
            case "max_chars": options.maxCharacters = value.int
            case "lower": options.lowercase = value.bool
            case "monospace": options.monospace = value.bool
            case "spacing": options.spacing = value.int
            case "min_width": options.minWidth = value.int
            case "background_brightness": options.background = UInt8(value.int)
            case "text_brightness": options.foreground = UInt8(value.int)
            default: Issue.record("unknown big_vision argument \(name) in unifont-cases.json")
            }
        }
        return options
    }

    @Test func theCasesCoverWhatTheIssueLists() {
        let names = Set(Self.cases.map(\.name))
        for required in ["ascii", "upper", "accented", "cyrillic", "greek", "cjk", "arabic", "thai", "emoji",
                         "empty", "spaces", "tabs_newlines", "long_1000", "many_lines"] {
            #expect(names.contains(required), "unifont-cases.json lacks \(required)")
        }
        #expect(Self.cases.count >= 30)
    }

    @Test(arguments: cases.map(\.name))
    func rendersExactlyAsBigVision(_ name: String) throws {
        let font = try Unifont.load()
        let testCase = try #require(Self.cases.first { $0.name == name })
        let renderer = try TextRenderer(font: font, options: Self.options(testCase.options))
        let png = try #require(FileManager.default.contents(atPath: Self.golden.appendingPathComponent("unifont/\(name).png").path),
                               "no golden PNG for \(name); run Tests/Golden/unifont_reference.py")
        let expected = try ImageDecoder.decode([UInt8](png))
        let rendered = renderer.renderRGB(testCase.text)
        #expect(rendered.width == expected.width && rendered.height == expected.height)
        guard rendered.pixels.count == expected.pixels.count else { return }
        var differing = 0, first: (x: Int, y: Int, got: UInt8, want: UInt8)?
        for i in 0..<rendered.pixels.count where rendered.pixels[i] != expected.pixels[i] {
            differing += 1
            if first == nil { first = ((i / 3) % expected.width, (i / 3) / expected.width, rendered.pixels[i], expected.pixels[i]) }
        }
        #expect(differing == 0, "\(name): \(differing) channel values differ from big_vision's; first at \(first.map { "x=\($0.x) y=\($0.y): \($0.got) vs \($0.want)" } ?? "")")
    }
}
