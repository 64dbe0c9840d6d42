import CurateCore
import Foundation
import TOMLKit

/// What a rule tests; each check has its own parameters (rules/README.md).
public enum Check: String, Sendable, CaseIterable {
    // Image checks, in the order ALIGN describes them plus curate's missing-data checks.
    case headerDimensions = "header_dimensions"
    case minShorterSide = "min_shorter_side"
    case maxAspectRatio = "max_aspect_ratio"
    case decodes
    case textBlocklist = "text_blocklist"
    case maxTextsPerImage = "max_texts_per_image"
    case exactDuplicate = "exact_duplicate"
    case nearDuplicate = "near_duplicate"
    case evalNearDuplicate = "eval_near_duplicate"
    // Text checks, on image/text pairs.
    case maxImagesPerText = "max_images_per_text"
    case rareToken = "rare_token"
    case minWords = "min_words"
    case maxWords = "max_words"
    case boilerplate
    // Curation beyond ALIGN's rules (README: "Where curate departs from the papers").
    case languageIn = "language_in"
    case imagenetEntity = "imagenet_entity"
    case metadataSubstring = "metadata_substring"
    case balancedSampling = "balanced_sampling"

    /// Whether the check decides about images (and with them their pairs) or about pairs.
    public var isImageCheck: Bool {
        switch self {
        case .maxImagesPerText, .rareToken, .minWords, .maxWords, .boilerplate, .languageIn, .imagenetEntity, .metadataSubstring, .balancedSampling: false
        default: true
        }
    }

    /// The parameters the check takes, with their defaults (ALIGN's values where ALIGN has one).
    var parameters: [String: Parameter] {
        switch self {
        case .headerDimensions, .decodes, .exactDuplicate: [:]
        case .minShorterSide: ["min_side": .int(200), "bounds": .string("strict")]
        case .maxAspectRatio: ["max_ratio": .double(3), "bounds": .string("strict")]
        case .textBlocklist: ["list": .string(""), "fields": .strings(["image_url", "page_url", "text", "page_title", "page_text"]), "page_min_sentences": .int(2)]
        case .maxTextsPerImage: ["max_texts": .int(1000)]
        case .nearDuplicate, .evalNearDuplicate: ["max_distance": .int(8), "max_color_distance": .double(8)]
        case .maxImagesPerText: ["max_images": .int(10)]
        case .rareToken: ["vocabulary_size": .int(100_000_000), "min_count": .int(0)]
        case .minWords: ["min_words": .int(3)]
        case .maxWords: ["max_words": .int(20)]
        case .boilerplate: ["list": .string("")]
        case .languageIn: ["languages": .strings(["en"]), "min_confidence": .double(0), "when_unknown": .string("drop")]
        case .imagenetEntity: ["list": .string(""), "wordnet": .string(WordNet.defaultFolder), "synset": .string("first"), "tokens": .string("words"), "max_phrase_words": .int(3)]
        case .metadataSubstring: ["metadata": .string("metaclip-metadata.txt")]
        case .balancedSampling: ["t": .int(0), "tail_share": .double(0.1), "seed": .int(0)]
        }
    }
}

/// One parameter value of a rule.
public enum Parameter: Sendable, Equatable, CustomStringConvertible {
    case int(Int), double(Double), bool(Bool), string(String), strings([String])

    /// The value as TOML writes it.
    public var description: String {
        switch self {
        case .int(let v): String(v)
        case .double(let v): v == v.rounded() && abs(v) < 1e15 ? String(format: "%.1f", v) : String(v)
        case .bool(let v): String(v)
        case .string(let v): Self.quoted(v)
        case .strings(let v): "[" + v.map(Self.quoted).joined(separator: ", ") + "]"
        }
    }

    static func quoted(_ s: String) -> String { JSONString.quoted(s) }

    /// Reads `text` as a value of the same kind as `self` (for --set).
    func parsing(_ text: String) -> Parameter? {
        switch self {
        case .int: Int(text.replacingOccurrences(of: "_", with: "")).map(Parameter.int)
        case .double: Double(text).map(Parameter.double)
        case .bool: Bool(text).map(Parameter.bool)
        case .string: .string(text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 ? String(text.dropFirst().dropLast()) : text)
        case .strings: .strings(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
    }
}

/// One rule: its name is the drop reason stored in the catalog.
public struct Rule: Sendable, Equatable {
    public var name: String
    public var check: Check
    /// `align` for ALIGN's filters, `curate` for curate's own (missing data, boilerplate).
    public var set: String
    public var enabled = true
    public var parameters: [String: Parameter]

    public func int(_ key: String) -> Int { if case .int(let v)? = parameters[key] { v } else { 0 } }
    public func double(_ key: String) -> Double {
        switch parameters[key] { case .double(let v)?: v; case .int(let v)?: Double(v); default: 0 }
    }
    public func string(_ key: String) -> String { if case .string(let v)? = parameters[key] { v } else { "" } }
    public func strings(_ key: String) -> [String] { if case .strings(let v)? = parameters[key] { v } else { [] } }
    /// `bounds = "inclusive"`: the limit itself passes (DataComp, COYO); `strict`: it does not (ALIGN).
    public var inclusive: Bool { string("bounds") == "inclusive" }
}

/// The rules of one run, in order, read from a TOML file (rules/README.md has the format).
public struct RuleSet: Sendable, Equatable {
    public var rules: [Rule]
    /// The file the rules came from; lists are looked up beside it.
    public var path: String

    public init(rules: [Rule], path: String) {
        self.rules = rules
        self.path = path
    }

    /// The name under which the built-in rules are printed and stored (no file of that name is read).
    public static let builtInPath = "built-in:align.toml"

    /// The rule files compiled into curate (Sources/Filters/Rules/: ALIGN's filters and curate's
    /// own), by name: the default rules and the lists they name.
    static let builtInFiles: [String: [UInt8]] = [
        "align.toml": PackageResources.align_toml,
        "boilerplate.txt": PackageResources.boilerplate_txt,
        "porn-blocklist.txt": PackageResources.porn_blocklist_txt,
        "metaclip.toml": PackageResources.metaclip_toml,
        "datacomp-text.toml": PackageResources.datacomp_text_toml,
        "imagenet21k-wordnet-ids.txt": PackageResources.imagenet21k_wordnet_ids_txt,
    ]

    /// The default rules: curate's built-in align.toml, whose lists are built in too.
    public static func builtIn() throws -> RuleSet {
        try parse(String(decoding: builtInFiles["align.toml"]!, as: UTF8.self), path: builtInPath)
    }

    /// The built-in rules for `path` == `builtInPath`, else the rule file at `path`.
    public static func load(path: String) throws -> RuleSet {
        if path == builtInPath { return try builtIn() }
        // `built-in:NAME.toml`: another rule file compiled in (metaclip.toml, datacomp-text.toml).
        if path.hasPrefix("built-in:"), let bytes = builtInFiles[String(path.dropFirst(9))], path.hasSuffix(".toml") {
            return try parse(String(decoding: bytes, as: UTF8.self), path: path)
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw FilterError.rulesUnreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "not readable UTF-8 text" : "no such file")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> RuleSet {
        if let (line, problem) = textProblem(text) { throw FilterError.badRules(path: path, what: "line \(line): \(problem)") }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw FilterError.badRules(path: path, what: "line \(error.source.begin.line): \(error.description)")
        } catch {
            throw FilterError.badRules(path: path, what: "not TOML (\(error))")
        }
        guard let array = table["rule"]?.array else { throw FilterError.badRules(path: path, what: "no [[rule]] tables") }
        var rules: [Rule] = []
        for (index, value) in array.enumerated() {
            func bad(_ what: String) -> FilterError { .badRules(path: path, what: "rule \(index + 1): \(what)") }
            guard let entry = value.table else { throw bad("not a table") }
            guard let name = entry["name"]?.string, !name.isEmpty else { throw bad("no name") }
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw bad("name \(name) must be letters, digits and _ (it is a drop reason)")
            }
            guard !rules.contains(where: { $0.name == name }) else { throw bad("a second rule named \(name)") }
            guard let checkName = entry["check"]?.string, let check = Check(rawValue: checkName) else {
                throw bad("check must be one of \(Check.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var rule = Rule(name: name, check: check, set: entry["set"]?.string ?? "align", parameters: check.parameters)
            if let enabled = entry["enabled"] { guard let flag = enabled.bool else { throw bad("enabled must be true or false") }; rule.enabled = flag }
            for key in entry.keys where !["name", "check", "set", "enabled"].contains(key) {
                guard let template = check.parameters[key] else {
                    throw bad("\(check.rawValue) has no parameter \(key) (it has \(check.parameters.keys.sorted().joined(separator: ", ")))")
                }
                guard let value = entry[key], let parsed = Self.value(value, like: template) else { throw bad("\(key) must be like \(template)") }
                rule.parameters[key] = parsed
            }
            try validate(rule, bad)
            rules.append(rule)
        }
        if let sampling = rules.firstIndex(where: { $0.check == .balancedSampling }),
           !rules[..<sampling].contains(where: { $0.check == .metadataSubstring }) {
            throw FilterError.badRules(path: path, what: "rule \(sampling + 1): balanced_sampling needs a metadata_substring rule before it (its matches are what it balances)")
        }
        return RuleSet(rules: rules, path: path)
    }

    private static func value(_ node: TOMLValueConvertible, like template: Parameter) -> Parameter? {
        switch template {
        case .int: node.int.map(Parameter.int)
        case .double: node.double.map(Parameter.double) ?? node.int.map { .double(Double($0)) }
        case .bool: node.bool.map(Parameter.bool)
        case .string: node.string.map(Parameter.string)
        case .strings: node.array.map { array in .strings(array.compactMap { $0.string }) }
        }
    }

    static func validate(_ rule: Rule, _ bad: (String) -> FilterError) throws {
        if let bounds = rule.parameters["bounds"], bounds != .string("strict") && bounds != .string("inclusive") {
            throw bad("bounds must be \"strict\" or \"inclusive\"")
        }
        for (key, value) in rule.parameters {
            if case .int(let v) = value, v < 0 { throw bad("\(key) must not be negative") }
            if case .double(let v) = value, key == "min_confidence" || key == "tail_share" {
                guard v >= 0 && v <= 1 else { throw bad("\(key) must be between 0 and 1") }
            } else if case .double(let v) = value, !(v > 0) { throw bad("\(key) must be positive") }
        }
        if rule.check == .nearDuplicate || rule.check == .evalNearDuplicate, rule.int("max_distance") > 32 {
            throw bad("max_distance above 32 of 64 bits matches unrelated images")
        }
        func oneOf(_ key: String, _ allowed: [String]) throws {
            guard allowed.contains(rule.string(key)) else { throw bad("\(key) must be one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))") }
        }
        switch rule.check {
        case .languageIn:
            try oneOf("when_unknown", ["drop", "keep", "declared"])
            if rule.strings("languages").isEmpty { throw bad("languages must name at least one language, e.g. [\"en\"]") }
        case .imagenetEntity:
            try oneOf("synset", ["first", "first_noun"])
            try oneOf("tokens", ["words", "whitespace"])
            if rule.int("max_phrase_words") < 1 { throw bad("max_phrase_words must be at least 1") }
        case .metadataSubstring:
            if rule.string("metadata").isEmpty { throw bad("metadata_substring needs metadata = \"FILE\" (curate metadata writes WORK/metaclip-metadata.txt)") }
        case .balancedSampling:
            if rule.int("t") == 0 && !(rule.double("tail_share") > 0) { throw bad("give t > 0, or tail_share above 0 to choose t from the counts") }
        default: break
        }
        if (rule.check == .boilerplate || rule.check == .textBlocklist || rule.check == .imagenetEntity) && rule.string("list").isEmpty {
            throw bad("\(rule.check.rawValue) needs list = \"FILE\"")
        }
    }

    /// Applies one `--set RULE.PARAMETER=VALUE` (`RULE.enabled=false` switches a rule off).
    public mutating func override(_ text: String) throws {
        guard let equals = text.firstIndex(of: "="), let dot = text[..<equals].firstIndex(of: ".") else {
            throw FilterError.badOverride(text, what: "not RULE.PARAMETER=VALUE")
        }
        let name = String(text[..<dot]), key = String(text[text.index(after: dot)..<equals])
        let value = String(text[text.index(after: equals)...])
        guard let index = rules.firstIndex(where: { $0.name == name }) else {
            throw FilterError.badOverride(text, what: "no rule named \(name) (rules: \(rules.map(\.name).joined(separator: ", ")))")
        }
        if key == "enabled" {
            guard let flag = Bool(value) else { throw FilterError.badOverride(text, what: "enabled must be true or false") }
            rules[index].enabled = flag
            return
        }
        guard let template = rules[index].parameters[key] else {
            throw FilterError.badOverride(text, what: "rule \(name) has no parameter \(key)")
        }
        guard let parsed = template.parsing(value) else { throw FilterError.badOverride(text, what: "\(key) must be like \(template)") }
        rules[index].parameters[key] = parsed
        try Self.validate(rules[index]) { FilterError.badOverride(text, what: $0) }
    }

    /// The effective rules as a TOML file: what is printed, and stored with the run.
    public var toml: String {
        var out = "# effective rules of curate filter (from \(path))\n"
        for rule in rules {
            out += "\n[[rule]]\nname = \(Parameter.quoted(rule.name))\ncheck = \(Parameter.quoted(rule.check.rawValue))\n"
            out += "set = \(Parameter.quoted(rule.set))\n"
            if !rule.enabled { out += "enabled = false\n" }
            for key in rule.parameters.keys.sorted() { out += "\(key) = \(rule.parameters[key]!)\n" }
        }
        return out
    }

    /// The folder lists are read from.
    public var folder: String { (path as NSString).deletingLastPathComponent }

    /// The text of a rule's `list` file, one entry per line (`#` comments and blank lines skipped):
    /// beside the rule file, or for the built-in rules, the built-in list of that name.
    public func list(of rule: Rule) throws -> [String] {
        let file = rule.string("list")
        let text: String
        if path.hasPrefix("built-in:") {
            guard let bytes = Self.builtInFiles[file] else { throw FilterError.listUnreadable(path: "built-in:" + file, rule: rule.name) }
            text = String(decoding: bytes, as: UTF8.self)
        } else {
            let path = file.hasPrefix("/") ? file : (folder.isEmpty ? file : folder + "/" + file)
            guard let read = try? String(contentsOfFile: path, encoding: .utf8) else { throw FilterError.listUnreadable(path: path, rule: rule.name) }
            text = read
        }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
