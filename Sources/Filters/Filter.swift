import Catalog
import CurateCore
import Foundation


public struct FilterOptions: Sendable {
    public var workDirectory: String
    public var rules: RuleSet
    /// Folders (or files) of evaluation images for `eval_near_duplicate`.
    public var evalPaths: [String] = []
    /// Compute and report, write nothing.
    public var dryRun = false
    public var threads = 2
    /// The whole catalog, or a unit's phase (FilterUnits.swift).
    public var phase = FilterPhase.whole

    public init(workDirectory: String, rules: RuleSet) {
        self.workDirectory = workDirectory
        self.rules = rules
    }

    public var catalogPath: String { workDirectory + "/catalog.sqlite" }
}

/// `curate filter`: runs the rules in order over the catalog's images and pairs. Each rule drops
/// from what the rules before it kept; every dropped image and pair gets the rule's name as its
/// reason. Nothing is deleted: decisions go to `filter_decisions`, replacing the previous run's,
/// in one transaction (a killed run leaves the previous decisions whole).
public final class Filter {
    let options: FilterOptions
    let store: CatalogStore
    var db: SQLiteDatabase { store.db }
    let readImage: StoredImageReader
    let tokenizer = Tokenizer()
    /// Progress lines for the user (stderr on a terminal); nil for silence.
    var log: ((String) -> Void)?

    // Images, by index (row order of the images table).
    var imageIDs: [Int64] = []
    var widths: [Int32] = []
    var heights: [Int32] = []
    var imageIndex: [Int64: Int32] = [:]
    /// The image's SHA-256: its identity across units (the same bytes in two units are one image).
    var imageSHAs: [String] = []
    /// The rule (index into options.rules.rules) that dropped each image, or -1.
    var imageDropped: [Int16] = []
    var imageDetail: [Int32: String] = [:]
    /// The near-duplicate checks' fields (the image kept or the eval image, distances), for the
    /// few images they dropped; every other field of a decision is derived when it is stored.
    var imageNear: [Int32: FilterDecision.Detail] = [:]

    // Pairs, by index (row order of the pairs table).
    var pairIDs: [Int64] = []
    var pairImage: [Int32] = []
    var pairKey: [UInt64] = []
    var pairWords: [Int16] = []
    var pairBoilerplate: [Int16] = []   // index into the boilerplate list, -1 none
    var pairRare: [Int32: String] = [:] // pair index → its first rare word
    var pairDropped: [Int16] = []
    var pairDetail: [Int32: String] = [:]

    // Perceptual hashes and colour signatures (image index → value), or why an image could not
    // be hashed.
    var phashes: [Int32: UInt64] = [:]
    var signatures: [Int32: [UInt8]] = [:]
    var featureFailure: [Int32: String] = [:]
    var featuresLoaded = false

    var notes: [String: String] = [:]   // rule name → a note for the table
    var missingReferences = 0
    var decontamination: [(image: Int32, eval: String, distance: Int)] = []
    var boilerplate: BoilerplateList?
    var blocklist: Blocklist?
    /// Image index → the blocklisted term one of its texts holds (found while reading the texts).
    var textBlocked: [Int32: String] = [:]
    var spilled = false
    /// Blocklist hits found in this catalog: image index → the first by (field, sentence).
    var blockHits: [Int32: BlockHit] = [:]
    /// What the other units hold, merged (FilterUnits.swift); nil when this catalog is the whole crawl.
    var globals: FilterGlobals?
    var shaIndex: [String: Int64]?
    /// A unit's gram counts, for its partials.
    var unitGrams: [UInt64: Int] = [:]
    /// Languages, ImageNet entities, metadata matches and their counts (Filter+Curation.swift).
    var curation = CurationState()
    var phase: FilterPhase { options.phase }

    public init(options: FilterOptions, readImage: @escaping StoredImageReader, log: ((String) -> Void)? = nil) throws {
        guard FileManager.default.fileExists(atPath: options.catalogPath) else { throw FilterError.noCatalog(path: options.catalogPath) }
        self.options = options
        self.readImage = readImage
        self.log = log
        do {
            store = try CatalogStore(path: options.catalogPath)
            try store.db.execute("PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536")
            try store.createFilterScratchTables()
        } catch let error as CatalogError {
            throw FilterError.catalogRefused(error.description)
        } catch let error as SQLiteError {
            throw FilterError.catalog(error.description)
        }
    }

    var rules: [Rule] { options.rules.rules }

    /// Runs every enabled rule and, unless a dry run, stores the decisions. Returns the table.
    public func run() throws -> FilterReport {
        let started = Date()
        do {
            try loadImages()
            try loadPairs()
            try countEntries()
            missingReferences = try store.missingReferenceCount()
            try decideImages()
            try decidePairs()
            countKeptEntries()
            let report = makeReport(seconds: Date().timeIntervalSince(started))
            if !options.dryRun { try save(report, started: started) }
            return report
        } catch let error as SQLiteError {
            throw FilterError.catalog(error.description)
        }
    }

    func progress(_ text: String) { log?(text) }

    func loadImages() throws {
        try store.forEachImageSize { id, width, height, sha in
            imageIndex[id] = Int32(imageIDs.count)
            imageIDs.append(id)
            imageSHAs.append(sha)
            widths.append(Int32(clamping: width))
            heights.append(Int32(clamping: height))
        }
        imageDropped = [Int16](repeating: -1, count: imageIDs.count)
    }

    /// Drops image `index` by rule `rule` (unless an earlier rule did), with what the rule found.
    func dropImage(_ index: Int, rule: Int, _ detail: @autoclosure () -> String?) {
        guard imageDropped[index] < 0 else { return }
        imageDropped[index] = Int16(rule)
        if let text = detail() { imageDetail[Int32(index)] = text }
    }

    /// A near-duplicate check's drop: its sentence and its fields.
    func dropImage(_ index: Int, rule: Int, near detail: @autoclosure () -> FilterDecision.Detail) {
        guard imageDropped[index] < 0 else { return }
        let detail = detail()
        dropImage(index, rule: rule, detail.text)
        imageNear[Int32(index)] = detail
    }

    func dropPair(_ index: Int, rule: Int, _ detail: @autoclosure () -> String?) {
        guard pairDropped[index] < 0 else { return }
        pairDropped[index] = Int16(rule)
        if let text = detail() { pairDetail[Int32(index)] = text }
    }

    /// Pairs of dropped images share their image's reason; then the text rules, in order.
    func decidePairs() throws {
        for p in pairIDs.indices {
            let image = Int(pairImage[p])
            if imageDropped[image] >= 0 {
                dropPair(p, rule: Int(imageDropped[image]), "image \(imageIDs[image])")
            }
        }
        for (r, rule) in rules.enumerated() where rule.enabled && !rule.check.isImageCheck {
            switch rule.check {
            case .maxImagesPerText:
                let limit = rule.int("max_images")
                var shared: [UInt64: Int] = [:]
                if let globals {
                    shared = globals.imagesPerText.filter { $0.value > limit }
                } else {
                    try db.forEach("SELECT key, count(DISTINCT image_id) FROM temp.filter_texts GROUP BY key HAVING count(DISTINCT image_id) > ?",
                                   [.integer(Int64(limit))]) { row in shared[UInt64(bitPattern: row.integer(0))] = Int(row.integer(1)) }
                }
                for p in pairIDs.indices where pairDropped[p] < 0 {
                    if let n = shared[pairKey[p]] { dropPair(p, rule: r, "the same text is on \(n) images (limit \(limit))") }
                }
            case .rareToken:
                for p in pairIDs.indices where pairDropped[p] < 0 {
                    if let word = pairRare[Int32(p)] { dropPair(p, rule: r, "rare token \"\(word)\"") }
                }
            case .minWords:
                let limit = rule.int("min_words")
                for p in pairIDs.indices where pairDropped[p] < 0 && Int(pairWords[p]) < limit {
                    dropPair(p, rule: r, "\(pairWords[p]) words, fewer than \(limit)")
                }
            case .maxWords:
                let limit = rule.int("max_words")
                for p in pairIDs.indices where pairDropped[p] < 0 && Int(pairWords[p]) > limit {
                    dropPair(p, rule: r, "\(pairWords[p]) words, more than \(limit)")
                }
            case .boilerplate:
                for p in pairIDs.indices where pairDropped[p] < 0 && pairBoilerplate[p] >= 0 {
                    dropPair(p, rule: r, "matches \(boilerplate?.entries[Int(pairBoilerplate[p])].description ?? "")")
                }
            case .languageIn, .imagenetEntity:
                for p in pairIDs.indices where pairDropped[p] < 0 {
                    if let why = try localTextDrop(rule, p) { dropPair(p, rule: r, why) }
                }
            case .metadataSubstring:
                let entries = curation.matcher?.entries.count ?? 0
                for p in pairIDs.indices where pairDropped[p] < 0 && curation.entries(p).isEmpty {
                    dropPair(p, rule: r, "matches none of the \(entries) metadata entries")
                }
            case .balancedSampling:
                balance(r)
            default:
                break
            }
        }
    }
}
