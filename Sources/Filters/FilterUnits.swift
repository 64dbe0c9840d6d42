import Catalog
import CurateCore
import Foundation

// curate filter over units (README: "Running on a cluster"). A unit's catalog holds part of the
// crawl; what the rules need from the whole crawl is merged by the engine from each unit's
// partial results, in three phases a unit runs one after the other:
//
//   partials    what this unit holds: (text key, image) pairs, pairs per image, gram counts,
//               blocklist hits, metadata matches per entry (metadata_substring). The engine merges them: distinct counts by image and by text,
//               sums, the first hit per image, a histogram of gram counts, each joined back to
//               the units that hold the image, text or gram (globals.jsonl).
//   candidates  with the globals, the image rules before the near-duplicate rule; the images
//               left are near-duplicate candidates, each under its hash blocks. The engine
//               groups them by block, `curate task near-pairs` confirms each group's pairs, and
//               the engine keeps each image's best neighbour (near.jsonl).
//   decide      with the globals and the neighbours, every rule, as one catalog would: the
//               decisions go to the unit's catalog.
//
// Everything global is keyed by content (an image by its SHA-256, a text by its key, a gram by its
// hash), so the answer does not depend on how the crawl was split (NearDuplicates.swift has the
// near-duplicate rule). One catalog (`Filter.run`) computes the same figures itself.

/// Which part of a run a `Filter` does.
public enum FilterPhase: String, Sendable { case whole, partials, candidates, decide }

/// A blocklist hit: the field it was found in (image URL 0, text 1, page 3) and the sentence.
public struct BlockHit: Codable, Sendable, Equatable {
    public var rank: Int
    public var why: String
    /// The first hit of an image: by field, then by sentence.
    public func precedes(_ other: BlockHit) -> Bool { (rank, why) < (other.rank, other.why) }
}

/// One line of a unit's filter files (partials.jsonl, globals.jsonl, near.jsonl); `t` names the kind.
public struct FilterUnitLine: Codable, Sendable, Equatable {
    public var t: String
    /// partials.jsonl: the unit that wrote the line (the engine joins results back by it).
    public var unit: String?
    public var key: UInt64?
    public var sha: String?
    public var n: Int?
    public var gram: UInt64?
    public var count: Int?
    public var rule: String?
    public var rank: Int?
    public var why: String?
    public var keep: String?
    public var distance: Int?
    public var color: Double?

    public init(t: String, key: UInt64? = nil, sha: String? = nil, n: Int? = nil, gram: UInt64? = nil, count: Int? = nil, rule: String? = nil,
                rank: Int? = nil, why: String? = nil, keep: String? = nil, distance: Int? = nil, color: Double? = nil) {
        self.t = t; self.key = key; self.sha = sha; self.n = n; self.gram = gram; self.count = count; self.rule = rule
        self.rank = rank; self.why = why; self.keep = keep; self.distance = distance; self.color = color
    }
}

/// What the rules need from every unit, for the images, texts and grams of one unit.
public struct FilterGlobals: Sendable {
    /// SHA-256 → distinct text keys over every unit.
    public var textsPerImage: [String: Int] = [:]
    /// SHA-256 → pairs over every unit, and the image's number in one catalog of the whole crawl
    /// (the near-duplicate ranking; numbers from the engine's numbering, global-ids.jsonl).
    public var pairsPerImage: [String: Int] = [:]
    public var imageNumbers: [String: Int64] = [:]
    /// Text key → distinct images over every unit.
    public var imagesPerText: [UInt64: Int] = [:]
    /// Rule → SHA-256 → the first blocklist hit over every unit.
    public var blocked: [String: [String: BlockHit]] = [:]
    /// The unit's grams → their counts over every unit; count → how many grams have it.
    public var gramCounts: [UInt64: Int] = [:]
    public var gramHistogram: [Int: Int] = [:]
    /// SHA-256 → the image it is a near-duplicate of (read in the decide phase only).
    public var nearDuplicates: [String: NearDuplicates.Hit]?
    /// Rule → metadata entry → its matches over every unit (summed by the engine).
    public var entryCounts: [String: [Int32: Int]] = [:]

    public init() {}

    func nearDuplicatesMerged() throws -> [String: NearDuplicates.Hit] {
        guard let nearDuplicates else { throw FilterError.unit("the near-duplicate rule needs near.jsonl, the engine's merge of the candidates") }
        return nearDuplicates
    }

    /// Reads globals.jsonl (and near.jsonl, when given).
    public static func read(globals: String, near: String?) throws -> FilterGlobals {
        var out = FilterGlobals()
        for line in try FilterUnitFiles.read(globals) {
            switch line.t {
            case "texts_per_image": if let sha = line.sha, let n = line.n { out.textsPerImage[sha] = n }
            case "pairs_per_image": if let sha = line.sha, let n = line.n { out.pairsPerImage[sha] = n }
            case "image_number": if let sha = line.sha, let n = line.n { out.imageNumbers[sha] = Int64(n) }
            case "images_per_text": if let key = line.key, let n = line.n { out.imagesPerText[key] = n }
            case "blocked":
                if let rule = line.rule, let sha = line.sha, let rank = line.rank, let why = line.why { out.blocked[rule, default: [:]][sha] = BlockHit(rank: rank, why: why) }
            case "gram": if let gram = line.gram, let n = line.n { out.gramCounts[gram] = n }
            case "gram_histogram": if let count = line.count, let n = line.n { out.gramHistogram[count, default: 0] += n }
            case "entry_count": if let rule = line.rule, let n = line.n, let count = line.count { out.entryCounts[rule, default: [:]][Int32(n)] = count }
            default: throw FilterError.unit("\(globals): a line of kind '\(line.t)', which this version does not know")
            }
        }
        if let near {
            var hits: [String: NearDuplicates.Hit] = [:]
            for line in try FilterUnitFiles.read(near) {
                guard line.t == "near", let sha = line.sha, let keep = line.keep, let distance = line.distance, let color = line.color else {
                    throw FilterError.unit("\(near): expected lines of kind 'near' with sha, keep, distance and color")
                }
                hits[sha] = NearDuplicates.Hit(keep: keep, distance: distance, color: color)
            }
            out.nearDuplicates = hits
        }
        return out
    }
}

/// JSON lines in and out of a unit's phases.
public enum FilterUnitFiles {
    public static func encode<T: Encodable>(_ values: some Sequence<T>) throws -> [UInt8] { try JSONLines.encode(values) }

    public static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> [T] {
        do { return try JSONLines.read(type, path: path) } catch let error as JSONLines.Failure { throw FilterError.unit(error.description) }
    }

    static func read(_ path: String) throws -> [FilterUnitLine] { try decode(FilterUnitLine.self, path: path) }
}

/// A near-duplicate candidate as the engine shuffles it: the candidate and its block keys.
public struct NearDuplicateCandidateLine: Codable, Sendable {
    public var candidate: NearDuplicates.Candidate
    public var exact: [String]
    public var probes: [String]
}

extension Filter {
    /// Phase `partials`: writes FOLDER/partials.jsonl; returns its line count.
    public func writePartials(unit: String, to folder: String) throws -> Int {
        precondition(phase == .partials)
        do {
            try loadImages()
            try loadPairs()
            var lines: [FilterUnitLine] = []
            var perImage = [Int](repeating: 0, count: imageIDs.count)
            var texts = Set<UInt64AndImage>()
            for p in pairIDs.indices where pairImage[p] >= 0 {
                perImage[Int(pairImage[p])] += 1
                texts.insert(UInt64AndImage(key: pairKey[p], image: pairImage[p]))
            }
            for t in texts.sorted(by: { ($0.key, $0.image) < ($1.key, $1.image) }) { lines.append(.init(t: "text", key: t.key, sha: imageSHAs[Int(t.image)])) }
            // Every image, with or without pairs: the engine sends an image's figures to each unit that holds it.
            for i in imageIDs.indices { lines.append(.init(t: "image", sha: imageSHAs[i], n: perImage[i])) }
            for (gram, n) in unitGrams.sorted(by: { $0.key < $1.key }) { lines.append(.init(t: "gram", n: n, gram: gram)) }
            try countEntries()
            if let r = curation.matchRule {
                for (entry, count) in curation.entryMatches.enumerated() where count > 0 {
                    lines.append(.init(t: "entry_count", n: entry, count: count, rule: rules[r].name))
                }
            }
            for rule in rules where rule.enabled && rule.check == .textBlocklist {
                try findBlocklistHits(rule)
                for (i, hit) in blockHits.sorted(by: { $0.key < $1.key }) {
                    lines.append(.init(t: "blocked", sha: imageSHAs[Int(i)], rule: rule.name, rank: hit.rank, why: hit.why))
                }
            }
            for k in lines.indices { lines[k].unit = unit }
            try AtomicFile.write(try FilterUnitFiles.encode(lines), to: folder + "/partials.jsonl")
            return lines.count
        } catch let error as SQLiteError {
            throw FilterError.catalog(error.description)
        }
    }

    /// Phase `candidates`: with the globals, the image rules before the near-duplicate rule; writes
    /// FOLDER/candidates.jsonl (the survivors with their block keys); returns how many.
    public func writeCandidates(globals: FilterGlobals, to folder: String) throws -> Int {
        precondition(phase == .candidates)
        self.globals = globals
        do {
            try loadImages()
            try loadPairs()
            try decideImages(untilNearDuplicates: true)
            guard let rule = rules.first(where: { $0.enabled && $0.check == .nearDuplicate }) else {
                try AtomicFile.write([], to: folder + "/candidates.jsonl")
                return 0
            }
            try ensureFeatures()
            let radius = rule.int("max_distance")
            let lines = nearDuplicateCandidates().map { c in
                let keys = NearDuplicates.bandKeys(c.phash, radius: radius)
                return NearDuplicateCandidateLine(candidate: c, exact: keys.exact, probes: keys.probes)
            }
            try AtomicFile.write(try FilterUnitFiles.encode(lines), to: folder + "/candidates.jsonl")
            return lines.count
        } catch let error as SQLiteError {
            throw FilterError.catalog(error.description)
        }
    }

    /// Phase `decide`: every rule with the globals and the neighbours; stores the decisions in the
    /// unit's catalog (unless a dry run) and returns the unit's table.
    public func decide(globals: FilterGlobals) throws -> FilterReport {
        precondition(phase == .decide)
        self.globals = globals
        return try run()
    }
}

struct UInt64AndImage: Hashable { var key: UInt64; var image: Int32 }
