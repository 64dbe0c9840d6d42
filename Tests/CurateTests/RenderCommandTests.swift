import Foundation
import Imaging
import Testing
import TestSupport

@Suite struct RenderCommandTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("curate-render-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func decoded(_ path: URL) throws -> RGBImage {
        try ImageDecoder.decode([UInt8](try #require(FileManager.default.contents(atPath: path.path))))
    }

    /// The command's PNG equals the image big_vision's op made for the same text (Tests/Golden/unifont).
    @Test func writesWhatBigVisionDraws() throws {
        let out = folder.appendingPathComponent("dog.png")
        let result = try Curate.run(["render", "a photo of a dog playing with a red ball on the beach", "-o", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("53 of 53 code points drawn on 2 line(s)"), "\(result.stdout)")
        let golden = SharedCorpus.repositoryRoot.appendingPathComponent("Tests/Golden/unifont/ascii.png")
        #expect(try decoded(out) == decoded(golden))
        // --rgb writes three channels, the same pixels.
        let rgb = folder.appendingPathComponent("rgb.png")
        #expect(try Curate.run(["render", "a photo of a dog playing with a red ball on the beach", "--rgb", "-o", rgb.path]).status == 0)
        #expect(try decoded(rgb) == decoded(golden))
    }

    @Test func readsStandardInputAndReportsWhatDidNotFit() throws {
        let out = folder.appendingPathComponent("long.png")
        let text = String(repeating: "many words here ", count: 60)  // 960 code points
        let result = try Curate.run(["render", "-", "-o", out.path, "--size", "64"], input: Data(text.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("below the last line") && result.stdout.contains("192 past --max-chars"), "\(result.stdout)")
        #expect(try decoded(out).width == 64)
    }

    @Test func theFontComesFromTheEnvironmentWhenNotGiven() throws {
        let out = folder.appendingPathComponent("env.png")
        let result = try Curate.run(["render", "x", "-o", out.path], environment: ["CURATE_UNIFONT": "/nonexistent/font.hex"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: cannot read the Unifont font /nonexistent/font.hex: no such file"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func badOptionsAreOneLineErrors() throws {
        for arguments in [["--size", "10"], ["--font-size", "0"], ["--max-chars=-1"]] {
            let result = try Curate.run(["render", "x", "-o", folder.appendingPathComponent("bad.png").path] + arguments)
            #expect(result.status != 0 && result.stderr.contains("invalid render option"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        let unwritable = try Curate.run(["render", "x", "-o", "/nonexistent-folder/x.png"])
        #expect(unwritable.status == 1 && unwritable.stderr.contains("check that the folder exists"))
    }
}
