import CurateCore
import Foundation
import Testing
import TestSupport
@testable import Filters

@Suite struct TokenizerTests {
    let tokenizer = Tokenizer()

    @Test func lowerCasesAndSplitsOnAnythingButLettersAndDigits() {
        #expect(tokenizer.words("A Photo-of THE dog's ball, IMG_2031.JPG!") == ["a", "photo", "of", "the", "dog's", "ball", "img", "2031", "jpg"])
        #expect(tokenizer.words("ÉCOLE Straße ΣΟΦΙΑ naïve") == ["école", "straße", "σοφια", "naïve"])
        #expect(tokenizer.words("don’t 'quoted'") == ["don't", "quoted"])
        #expect(tokenizer.words("  ") == [])
    }

    @Test func scriptsWithoutSpacesCountOneWordPerCharacter() {
        #expect(tokenizer.words("東京の夜景") == ["東", "京", "の", "夜", "景"])
        #expect(tokenizer.words("tokyo東京tower") == ["tokyo", "東", "京", "tower"])
        // Thai: a combining vowel or tone mark stays with its letter (ก + ิ, ข + ้), so no mark is a
        // word alone; า is a spacing letter of its own.
        #expect(tokenizer.words("กินข้าว") == ["กิ", "น", "ข้", "า", "ว"])
        // Hangul is written with spaces: words as usual.
        #expect(tokenizer.words("사진 한장") == ["사진", "한장"])
    }

    @Test func hashesWithoutWordsAgreeWithWords() {
        var hashes: [UInt64] = []
        for text in ["A Photo-of THE dog's ball, IMG_2031.JPG!", "it's 'quoted' x'", "  ", "ÉCOLE naïve 東京 tower", "a--b  c''d"] {
            let key = tokenizer.hashes(text, into: &hashes)
            let words = tokenizer.words(text)
            #expect(hashes == words.map(Tokenizer.hash) && key == Tokenizer.textKey(words), "\(text)")
        }
    }

    @Test func textKeysIgnoreCaseAndPunctuation() {
        #expect(Tokenizer.textKey(tokenizer.words("Product image!")) == Tokenizer.textKey(tokenizer.words("product  IMAGE")))
        #expect(Tokenizer.textKey(tokenizer.words("a b")) != Tokenizer.textKey(tokenizer.words("b a")))
        #expect(Tokenizer.bigram(Tokenizer.hash("a"), Tokenizer.hash("b")) != Tokenizer.bigram(Tokenizer.hash("b"), Tokenizer.hash("a")))
    }
}

@Suite struct RuleSetTests {
    let text = """
        [[rule]]
        name = "small"
        check = "min_shorter_side"
        min_side = 100

        [[rule]]
        name = "short"
        check = "min_words"
        set = "curate"
        """

    @Test func rulesKeepTheirOrderDefaultsAndOverrides() throws {
        var rules = try RuleSet.parse(text, path: "x.toml")
        #expect(rules.rules.map(\.name) == ["small", "short"])
        #expect(rules.rules[0].int("min_side") == 100 && rules.rules[0].string("bounds") == "strict" && !rules.rules[0].inclusive)
        #expect(rules.rules[1].int("min_words") == 3 && rules.rules[1].set == "curate")
        try rules.override("small.bounds=inclusive")
        try rules.override("short.min_words=5")
        try rules.override("short.enabled=false")
        #expect(rules.rules[0].inclusive && rules.rules[1].int("min_words") == 5 && !rules.rules[1].enabled)
        // The printed rules read back to the same rules.
        #expect(try RuleSet.parse(rules.toml, path: "x.toml").rules == rules.rules)
    }

    @Test func badRulesAndOverridesSayWhatIsWrong() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        #expect(message { _ = try RuleSet.parse("[[rule]]\nname = \"a\"\ncheck = \"nope\"\n", path: "r.toml") }.contains("check must be one of"))
        #expect(message { _ = try RuleSet.parse("[[rule]]\nname = \"a\"\ncheck = \"min_words\"\nmin_side = 3\n", path: "r.toml") }.contains("has no parameter min_side"))
        #expect(message { _ = try RuleSet.parse("[[rule]]\nname = \"a b\"\ncheck = \"min_words\"\n", path: "r.toml") }.contains("letters, digits and _"))
        #expect(message { _ = try RuleSet.parse("[[rule\n", path: "r.toml") }.hasPrefix("r.toml: line"))
        #expect(message { _ = try RuleSet.parse("[[rule]]\nname = \"a\"\ncheck = \"min_shorter_side\"\nbounds = \"loose\"\n", path: "r.toml") }.contains("strict"))
        var rules = try RuleSet.parse(text, path: "x.toml")
        #expect(message { try rules.override("small.min_side=big") }.contains("must be like"))
        #expect(message { try rules.override("nothing.x=1") }.contains("no rule named nothing"))
        #expect(message { try rules.override("small=1") }.contains("not RULE.PARAMETER=VALUE"))
        #expect(message { try rules.override("small.min_side=-5") }.contains("must not be negative"))
    }

    @Test func theShippedRulesAreALIGNsInOrder() throws {
        let rules = try RuleSet.load(path: SampleCatalog.root + "/Sources/Filters/Rules/align.toml")
        let align = rules.rules.filter { $0.set == "align" }
        #expect(align.first { $0.check == .minShorterSide }?.int("min_side") == 200)
        #expect(align.first { $0.check == .maxAspectRatio }?.double("max_ratio") == 3)
        #expect(align.first { $0.check == .maxTextsPerImage }?.int("max_texts") == 1000)
        #expect(align.first { $0.check == .maxImagesPerText }?.int("max_images") == 10)
        #expect(align.first { $0.check == .rareToken }?.int("vocabulary_size") == 100_000_000)
        #expect(align.first { $0.check == .minWords }?.int("min_words") == 3)
        #expect(align.first { $0.check == .maxWords }?.int("max_words") == 20)
        #expect(rules.rules.first { $0.check == .boilerplate }?.set == "curate")
        #expect(try !rules.list(of: rules.rules.first { $0.check == .textBlocklist }!).isEmpty)
    }
}

@Suite struct BoilerplateTests {
    @Test func theShippedListCatchesJunkAndSparesCaptions() throws {
        let rules = try RuleSet.load(path: SampleCatalog.root + "/Sources/Filters/Rules/align.toml")
        let list = try BoilerplateList(lines: rules.list(of: rules.rules.first { $0.check == .boilerplate }!), source: "boilerplate.txt")
        func hit(_ text: String) -> Bool { list.match(text) != nil }
        for junk in ["IMG_2031.JPG", "DSC05456.jpg", "image73.png", "1920x1080", "800 × 600 px", "Click here!", "click here to enlarge",
                     "photo", "Image", "product image", "my holiday-photo.webp"] {
            #expect(hit(junk), "\(junk) is boilerplate")
        }
        for caption in ["a photo of a dog on the beach", "Image: a yellow star", "two green triangles", "1920s jazz band", "x-ray of a hand"] {
            #expect(!hit(caption), "\(caption) is a caption")
        }
    }
}

@Suite struct HammingIndexTests {
    @Test func findsExactlyWhatBruteForceFinds() {
        var rng = SystemRandomNumberGenerator()
        var codes: [UInt64] = (0..<1000).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) }
        // Plant near copies at known distances.
        for k in 0..<100 {
            var c = codes[k]
            for bit in 0..<(k % 11) { c ^= 1 << UInt64((bit * 7 + k) % 64) }
            codes.append(c)
        }
        let index = HammingIndex(codes)
        for radius in [0, 3, 6, 8, 10] {
            for q in stride(from: 0, to: codes.count, by: 53) {
                let expected = codes.indices.filter { (codes[$0] ^ codes[q]).nonzeroBitCount <= radius }
                #expect(index.neighbours(of: codes[q], radius: radius).map(\.index).sorted() == expected, "radius \(radius), query \(q)")
            }
        }
    }
}

@Suite struct RuleFileSubsetTests {
    /// Every committed rule file is in the subset TOMLKit is given.
    @Test func theCommittedRulesPass() throws {
        let text = try String(contentsOfFile: SharedCorpus.repositoryRoot.path + "/Sources/Filters/Rules/align.toml", encoding: .utf8)
        #expect(RuleSet.textProblem(text) == nil)
    }

    @Test func headersKeysValuesAndWhatIsRefused() {
        let fine = """
            [[rule]]
            [ a . "b c" . 'd' ]  # x
            n = -1_000
            x = 2.5e-3
            ok = true
            list = [
              "a",  # one
              'b',
              [1, 2],
            ]
            text = \"\"\"
            two \\t \\u00e9
            lines\"\"\"
            raw = '''
            [not a header'''\r
            end = 1
            """
        #expect(RuleSet.textProblem(fine) == nil)
        let refused: [(String, Int)] = [
            ("[[(ule]]\n", 1), ("[]\n", 1), ("[a.]\n", 1), ("[[rule]\n", 1), ("[rule]] x\n", 1),
            ("a = 1\n[\u{FFFD}rule]]\n", 2), ("a = { b = 1 }\n", 1), ("a = [[[[[1]]]]]\n", 1), ("a = [1 2]\n", 1),
            ("a = [1, }]\n", 1), ("a = \"open\n", 1), ("a = \"bad \\q\"\n", 1), ("a = 1979-05-27\n", 1), ("= 1\n", 1),
            // A basic string holding ''' opens no multi-line string (the fuzzer's third input).
            ("st = \"cu'''''rate\"\n\n[[|ule]]d\n", 3),
        ]
        for (text, line) in refused { #expect(RuleSet.textProblem(text)?.line == line, "\(text.debugDescription)") }
        #expect(throws: FilterError.self) { try RuleSet.parse("[\u{FFFD}rule]]\n", path: "bad.toml") }
    }
}
