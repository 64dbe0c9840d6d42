import ArgumentParser
import Crawl
import CurateCore
import Filters
import Foundation
import Imaging

extension Curate {
    /// One unit of a stage, for an engine's executor (README: "Running on a cluster"): the task is
    /// one JSON object given as the argument, the answer one JSON line on stdout (`"ok": true` and
    /// what it did, or `"ok": false` and the error, with exit status 1). Everything a task needs is
    /// in its JSON (no environment variables are read). Outputs go to WORK/units/UNIT/, each file
    /// written whole under its final name, so a retried or duplicated attempt is harmless.
    struct TaskCommand: ParsableCommand, Exemplified {
        static let example = #"curate task '{"task":"crawl","work":"w","unit":"u00000","dumps":["crawl-00000.warc.gz"]}'    # one unit, for Spark"#
        static let configuration = CommandConfiguration(
            commandName: "task",
            abstract: "Run one unit of crawl-dump or filter for an engine (scaleout/curate_spark.py): JSON in, JSON lines out.",
            discussion: """
            Tasks (fields beside "task"; "work" and "unit" in all but near-pairs):
              crawl              dumps [paths], threads, html_parser: crawls the files into
                                 WORK/units/UNIT/catalog.sqlite, with offers.jsonl and wants.jsonl
              link               imports (path): other units' images and redirects this unit wants
              filter-partials    rules, threads: WORK/units/UNIT/filter/partials.jsonl
              filter-candidates  rules, threads, globals: filter/candidates.jsonl
              filter-decide      rules, threads, eval_images, globals, near: decisions in the catalog
              near-pairs         radius, max_color_distance: reads groups on stdin (one JSON line
                                 each), writes the near-duplicate edges they hold
              near-greedy        radius, max_color_distance: reads components on stdin, writes
                                 the near-duplicate rule's drops in each
            A unit whose crawl finished is not crawled again; the filter phases are deterministic and
            write whole files, so running one twice gives the same bytes.

            Example:
              \(example)
            """
        )

        @Argument(help: "The task, as one JSON object.")
        var spec: String

        func run() throws {
            do {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(spec.utf8))) as? [String: Any] else {
                    throw CommandFailure("the task must be one JSON object such as {\"task\":\"crawl\",\"work\":\"W\",\"unit\":\"u00000\",\"dumps\":[\"a.warc.gz\"]}, got \(spec.prefix(80))")
                }
                let task = UnitTask(object)
                let result = try task.run()
                print(try Self.line(result.merging(["ok": true]) { a, _ in a }))
            } catch {
                let message = "\(error)"
                print((try? Self.line(["ok": false, "error": message])) ?? #"{"ok":false}"#)
                throw ExitCode(1)
            }
        }

        static func line(_ object: [String: Any]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        }
    }
}

/// A task's fields, read with one-line errors naming the field.
struct UnitTask {
    let fields: [String: Any]
    init(_ fields: [String: Any]) { self.fields = fields }

    func string(_ name: String) throws -> String {
        guard let value = fields[name] as? String, !value.isEmpty else { throw CommandFailure("the task needs \"\(name)\" (a string)") }
        return value
    }
    func strings(_ name: String) -> [String] { fields[name] as? [String] ?? [] }
    func int(_ name: String, default value: Int) -> Int { (fields[name] as? NSNumber)?.intValue ?? value }
    func double(_ name: String, default value: Double) -> Double { (fields[name] as? NSNumber)?.doubleValue ?? value }

    var unitFolder: String { get throws { try string("work") + "/units/" + string("unit") } }

    func run() throws -> [String: Any] {
        switch try string("task") {
        case "crawl": return try crawl()
        case "link": return try link()
        case "filter-partials", "filter-candidates", "filter-decide": return try filter()
        case "near-pairs": return try nearPairs()
        case "near-greedy": return try nearGreedy()
        case "rule": return try rule()
        case let other:
            if let result = try stageTask(other) { return result }
            throw CommandFailure("unknown task \"\(other)\"; one of crawl, link, filter-partials, filter-candidates, filter-decide, near-pairs, near-greedy, rule, "
                                 + "ids, weak-contexts, weak-tags, weak-stats, weak-search, shard-samples, shard-plan, text-pair-candidates, write-shard, "
                                 + "write-textpair-shard, shard-index, fetch-wants, fetch")
        }
    }

    /// The unit's crawl, built in a folder of its own attempt and renamed into place whole: a
    /// killed attempt leaves only its temporary folder (removed by the next attempt), and an
    /// attempt that finds the unit done returns its summary.
    func crawl() throws -> [String: Any] {
        let work = try string("work"), unit = try string("unit"), folder = try unitFolder
        let marker = folder + "/crawl.json"
        if let done = Self.readMarker(marker) { return done.merging(["already_done": true]) { a, _ in a } }
        let attempts = work + "/units/.attempts/" + unit
        try FileManager.default.createDirectory(atPath: attempts, withIntermediateDirectories: true)
        let lock = try lockFolders([attempts])
        defer { withExtendedLifetime(lock) {} }
        if let done = Self.readMarker(marker) { return done.merging(["already_done": true]) { a, _ in a } }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: attempts)) ?? [] where name.hasPrefix(AtomicFile.temporaryPrefix) {
            try? FileManager.default.removeItem(atPath: attempts + "/" + name)
        }
        let building = attempts + "/" + AtomicFile.temporaryPrefix + "\(getpid())"
        try FileManager.default.createDirectory(atPath: building, withIntermediateDirectories: true)
        let dumps = strings("dumps")
        guard !dumps.isEmpty else { throw CommandFailure("the crawl task needs \"dumps\": the unit's WARC files") }
        let parser = HTMLParserChoice(rawValue: (fields["html_parser"] as? String) ?? "html5") ?? .html5
        let options = CrawlOptions(inputs: dumps, workDirectory: building, threads: int("threads", default: 2), htmlParser: parser)
        let summary: CrawlSummary
        do { summary = try Crawl.CrawlDump(options: options).run() } catch let error as CrawlError { throw CommandFailure(error.description) }
        let exported = try UnitLink.export(catalogPath: building + "/catalog.sqlite", unit: unit, to: building)
        let result: [String: Any] = ["unit": unit, "dumps": dumps, "offers": exported.offers, "wants": exported.wants,
                                     "totals": Dictionary(summary.totals, uniquingKeysWith: { a, _ in a })]
        try AtomicFile.write(Array(try Curate.TaskCommand.line(result).utf8) + [0x0A], to: building + "/crawl.json")
        try FileManager.default.createDirectory(atPath: work + "/units", withIntermediateDirectories: true)
        guard rename(building, folder) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: building)
            if let done = Self.readMarker(marker) { return done.merging(["already_done": true]) { a, _ in a } }
            throw CommandFailure("cannot move the unit's crawl into \(folder) (\(String(cString: strerror(code)))); is the work folder writable?")
        }
        return result
    }

    /// Imports the other units' images and redirects (the engine's join) and resolves again.
    func link() throws -> [String: Any] {
        let folder = try requireUnit(), imports = try string("imports")
        let lock = try lockFolders([folder])
        defer { withExtendedLifetime(lock) {} }
        guard let bytes = FileManager.default.contents(atPath: imports) else { throw CommandFailure("cannot read the imports \(imports)") }
        let offers = try UnitLink.decodeLines(UnitLink.Offer.self, path: imports)
        let digest = bytes.withUnsafeBytes { ImageHash.sha256($0) }
        let done = try UnitLink.importOffers(catalogPath: folder + "/catalog.sqlite", offers: offers, digest: digest)
        return ["unit": try string("unit"), "images": done.images, "redirects": done.redirects, "resolved": done.resolved]
    }

    func filter() throws -> [String: Any] {
        let task = try string("task"), folder = try requireUnit()
        let lock = try lockFolders([folder])
        defer { withExtendedLifetime(lock) {} }
        do {
            var ruleSet = try RuleSet.load(path: (fields["rules"] as? String) ?? RuleSet.builtInPath)
            for text in strings("set") { try ruleSet.override(text) }
            var options = FilterOptions(workDirectory: folder, rules: ruleSet)
            options.threads = int("threads", default: 2)
            options.evalPaths = strings("eval_images")
            let out = folder + "/filter"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            switch task {
            case "filter-partials":
                options.phase = .partials
                return ["lines": try Filter(options: options, readImage: StoredPayload.reader).writePartials(unit: string("unit"), to: out)]
            case "filter-candidates":
                options.phase = .candidates
                var globals = try FilterGlobals.read(globals: string("globals"), near: nil)
                globals.imageNumbers = try numbering().images.mapValues(\.id)
                return ["candidates": try Filter(options: options, readImage: StoredPayload.reader).writeCandidates(globals: globals, to: out)]
            default:
                options.phase = .decide
                let globals = try FilterGlobals.read(globals: string("globals"), near: fields["near"] as? String)
                let report = try Filter(options: options, readImage: StoredPayload.reader).decide(globals: globals)
                let result: [String: Any] = ["images": report.images, "pairs": report.pairs, "kept_images": report.keptImages, "kept_pairs": report.keptPairs,
                                             "decontaminated": report.decontaminated]
                try AtomicFile.write(Array(try Curate.TaskCommand.line(result).utf8) + [0x0A], to: out + "/decided.json")
                return result
            }
        } catch let error as FilterError {
            throw CommandFailure(error.description)
        }
    }

    /// The parameters of the first enabled rule of a check, as curate reads the rules (the
    /// driver never parses a rule file).
    func rule() throws -> [String: Any] {
        do {
            var ruleSet = try RuleSet.load(path: (fields["rules"] as? String) ?? RuleSet.builtInPath)
            for text in strings("set") { try ruleSet.override(text) }
            let check = try string("check")
            guard let rule = ruleSet.rules.first(where: { $0.enabled && $0.check.rawValue == check }) else { return ["enabled": false] }
            switch rule.check {
            case .nearDuplicate, .evalNearDuplicate:
                return ["enabled": true, "name": rule.name, "max_distance": rule.int("max_distance"), "max_color_distance": rule.double("max_color_distance")]
            default:
                return ["enabled": true, "name": rule.name]
            }
        } catch let error as FilterError {
            throw CommandFailure(error.description)
        }
    }

    /// Reads groups (NearDuplicates.Group, one per line) on stdin; writes each confirmed edge.
    func nearPairs() throws -> [String: Any] {
        let radius = int("radius", default: 6), maxColor = double("max_color_distance", default: 8)
        let decoder = JSONDecoder(), encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var groups = 0, edges = 0
        while let line = readLine(strippingNewline: true) {
            guard !line.isEmpty else { continue }
            let group: NearDuplicates.Group
            do { group = try decoder.decode(NearDuplicates.Group.self, from: Data(line.utf8)) } catch {
                throw CommandFailure("near-pairs: input line \(groups + 1) is not a group of candidates: \(error)")
            }
            groups += 1
            for edge in NearDuplicates.confirm(group, radius: radius, maxColorDistance: maxColor) {
                print(String(decoding: try encoder.encode(edge), as: UTF8.self))
                edges += 1
            }
        }
        return ["groups": groups, "edges": edges]
    }

    /// The unit's folder, once its crawl is done (a later task never creates it).
    func requireUnit() throws -> String {
        let folder = try unitFolder
        guard FileManager.default.fileExists(atPath: folder + "/crawl.json") else {
            throw CommandFailure("no finished crawl of unit \(try string("unit")) in \(try string("work"))/units; run its crawl task first")
        }
        return folder
    }

    /// Reads components (NearDuplicates.Component, one per line) on stdin; writes each dropped
    /// image with the image kept in its place (lines of near.jsonl).
    func nearGreedy() throws -> [String: Any] {
        let radius = int("radius", default: 6), maxColor = double("max_color_distance", default: 8)
        let components = try stdinLines(NearDuplicates.Component.self)
        var dropped = 0
        for component in components {
            let hits = NearDuplicates.greedy(component.candidates, radius: radius, maxColorDistance: maxColor)
            let lines = hits.sorted { $0.key < $1.key }.map { FilterUnitLine(t: "near", sha: $0.key, keep: $0.value.keep, distance: $0.value.distance, color: $0.value.color) }
            FileHandle.standardOutput.write(Data(try JSONLines.encode(lines)))
            dropped += lines.count
        }
        return ["components": components.count, "dropped": dropped]
    }

    static func readMarker(_ path: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
}
