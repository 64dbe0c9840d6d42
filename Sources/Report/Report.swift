// curate report: one static HTML page (and its images) that shows what a work folder's runs
// kept, dropped and learned. It reads what the stages left behind — the catalog, the shards,
// the model folder — and changes none of it. Each section says so when its stage has not run.
import Foundation
import CurateCore
import Catalog

public struct ReportOptions: Sendable {
    /// The work folder: catalog.sqlite, decontamination.jsonl, shards/ and model/ by default.
    public var work = "curate-work"
    /// Where index.html and images/ go (default WORK/report). Replaced as a whole.
    public var out: String?
    /// The shard folder (default WORK/shards).
    public var shards: String?
    /// The folder of curate train's checkpoints and metrics (default WORK/model).
    public var model: String?
    /// Examples per grid (drops per rule, kept samples, weak pairs).
    public var examples = 12
    /// Retrieval examples from val captions, besides the user's `queries`.
    public var automaticQueries = 4
    public var queries: [String] = []
    /// Images shown per retrieval example.
    public var top = 5
    /// A synthetic crawl's truth.jsonl: the retrieval section then judges colour-and-shape search.
    public var truth: String?

    public init() {}

    public var outFolder: String { out ?? work + "/report" }
    var shardFolder: String { shards ?? work + "/shards" }
    var modelFolder: String { model ?? work + "/model" }
}

/// A trained model's recall and text-query examples, computed by the caller (the `curate`
/// executable, through Train) so that Report does not import the trainer.
public struct RetrievalResults: Sendable {
    /// Recall over a named set of val pairs.
    public struct NamedRecall: Sendable {
        public var name: String
        public var recall: Recall
        public init(name: String, recall: Recall) { self.name = name; self.recall = recall }
    }

    public struct Hit: Sendable {
        public var key: String, caption: String, score: Float, image: [UInt8]
        public init(key: String, caption: String, score: Float, image: [UInt8]) {
            self.key = key; self.caption = caption; self.score = score; self.image = image
        }
    }

    public struct Example: Sendable {
        public var query: String
        /// The key of the image the query's caption came from, for the automatic queries.
        public var expectedKey: String?
        public var hits: [Hit]
        public init(query: String, expectedKey: String?, hits: [Hit]) { self.query = query; self.expectedKey = expectedKey; self.hits = hits }
    }

    /// Colour-and-shape search judged against a synthetic crawl's truth (Train's SearchQuality).
    public struct ShapeSearch: Sendable {
        public struct Query: Sendable {
            public var query: String, relevant: Int, precision: Double
            public init(query: String, relevant: Int, precision: Double) { self.query = query; self.relevant = relevant; self.precision = precision }
        }
        public var mean: Double
        public var colours: Int, shapes: Int, images: Int
        public var queries: [Query]
        public init(mean: Double, colours: Int, shapes: Int, images: Int, queries: [Query]) {
            self.mean = mean; self.colours = colours; self.shapes = shapes; self.images = images; self.queries = queries
        }
    }

    public var recalls: [NamedRecall]
    public var examples: [Example]
    public var shapeSearch: ShapeSearch?
    public init(recalls: [NamedRecall], examples: [Example], shapeSearch: ShapeSearch? = nil) {
        self.recalls = recalls; self.examples = examples; self.shapeSearch = shapeSearch
    }
}

/// Computes `RetrievalResults` for a checkpoint over a shard folder (and `truth`, when given).
public typealias Retriever = (_ checkpoint: String, _ shards: String, _ queries: [String], _ automatic: Int, _ top: Int, _ truth: String?) throws -> RetrievalResults

public enum ReportError: Error, CustomStringConvertible, Sendable {
    case noWork(String)
    case cannotWrite(path: String, reason: String)
    case unreadableCatalog(path: String, message: String)
    /// The catalog could not be opened (Catalog's one line: a newer schema).
    case catalogRefused(String)
    case notAReport(String)

    public var description: String {
        switch self {
        case .noWork(let path): "\(path) is not a folder; pass --work with the folder curate crawl-dump wrote (curate-work by default)"
        case .cannotWrite(let path, let reason): "cannot write the report to \(path): \(reason); pass --out with a writable folder"
        case .catalogRefused(let message): message
        case .notAReport(let path): "\(path) holds files that are not a curate report, and --out is replaced as a whole; pass --out with a new folder or an earlier report's"
        case .unreadableCatalog(let path, let message): "\(path) is not a readable catalog (\(message)); pass --work with a folder curate crawl-dump wrote, or run curate crawl-dump again"
        }
    }
}

public struct ReportSummary: Sendable {
    public var page: String
    public var sectionsRun: [String]
    public var sectionsNotRun: [String]
    public var files: Int
    /// Problems met while reading that did not stop the report (a damaged shard, a model that
    /// does not load), one line each; the page shows them too.
    public var warnings: [String]
}

public final class Report {
    let options: ReportOptions
    let readImage: StoredImageReader
    let retriever: Retriever?
    var warnings: [String] = []
    var catalog: CatalogStore?
    /// The last finished filter and weak-pairs runs, read once.
    var filterRun: Run<FilterRun>?
    var weakPairsRun: Run<WeakPairsRun>?
    /// The number of each eval image's thumbnail (`images/eN.jpg`), in order of first use.
    var evalNames: [String: Int] = [:]

    /// A checkpoint's metadata (safetensors' `__metadata__`), read by the caller (`curate` wires
    /// Train's `Safetensors.metadata`), so that Report has no reader of its own.
    let checkpointMetadataReader: ((String) -> [String: String]?)?

    public init(options: ReportOptions, readImage: @escaping StoredImageReader, retriever: Retriever?,
                checkpointMetadata: ((String) -> [String: String]?)? = nil) {
        self.options = options
        self.readImage = readImage
        self.retriever = retriever
        self.checkpointMetadataReader = checkpointMetadata
    }

    /// Writes the report into a fresh folder beside `out`, then puts it in `out`'s place, so a
    /// killed run leaves the previous report whole.
    public func run() throws -> ReportSummary {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: options.work, isDirectory: &isFolder), isFolder.boolValue else { throw ReportError.noWork(options.work) }
        let out = options.outFolder, partial = out + ".partial"
        let files = FileManager.default
        // `out` is replaced as a whole: never a folder that holds anything but an earlier report.
        if let existing = try? files.contentsOfDirectory(atPath: out), !existing.isEmpty {
            let page = (try? String(contentsOfFile: out + "/index.html", encoding: .utf8)) ?? ""
            guard page.contains("<title>curate report") else { throw ReportError.notAReport(out) }
        }
        try? files.removeItem(atPath: partial)
        let assets: Assets
        do { assets = try Assets(folder: partial) } catch { throw ReportError.cannotWrite(path: out, reason: writeFailureReason(error)) }

        let catalogPath = options.work + "/catalog.sqlite"
        if files.fileExists(atPath: catalogPath) {
            do {
                let store = try CatalogStore(path: catalogPath)
                catalog = store
                filterRun = try store.lastFilterRun()
                weakPairsRun = try store.lastRun(WeakPairsRun.self)
            } catch let error as CatalogError {
                if case .sqlite(let error) = error { throw ReportError.unreadableCatalog(path: catalogPath, message: error.message) }
                throw ReportError.catalogRefused(error.description)
            } catch let error as SQLiteError {
                throw ReportError.unreadableCatalog(path: catalogPath, message: error.message)
            } catch { throw ReportError.unreadableCatalog(path: catalogPath, message: "\(error)") }
        }
        let sections = [
            runsSection(), funnelSection(), dropsSection(assets), keptSection(assets),
            curationSection(), weakPairsSection(assets), decontaminationSection(assets), trainingSection(), retrievalSection(assets),
        ] + (warnings.isEmpty ? [] : [HTML.Section(id: "warnings", title: "Warnings", ran: true,
                                                     body: "<ul>" + warnings.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>")])
        catalog = nil
        let page = HTML.page(title: "curate report: \(options.work)",
                             subtitle: "curate \(CurateVersion.string) · work folder \(options.work) · shards \(options.shardFolder) · model \(options.modelFolder)",
                             sections: sections)
        if let failed = assets.writeError { throw ReportError.cannotWrite(path: out, reason: failed) }
        do {
            try Data(page.utf8).write(to: URL(fileURLWithPath: partial + "/index.html"))
            try? files.removeItem(atPath: out)
            try files.moveItem(atPath: partial, toPath: out)
        } catch { throw ReportError.cannotWrite(path: out, reason: writeFailureReason(error)) }
        return ReportSummary(page: out + "/index.html", sectionsRun: sections.filter(\.ran).map(\.title),
                             sectionsNotRun: sections.filter { !$0.ran }.map(\.title), files: assets.count + 1, warnings: warnings)
    }

    // MARK: Reading helpers

    /// The result of a catalog read; nil without a catalog, or with a warning when it fails.
    func read<T>(_ body: (CatalogStore) throws -> T) -> T? {
        guard let catalog else { return nil }
        do { return try body(catalog) } catch {
            warnings.append("catalog query failed: \(error)")
            return nil
        }
    }

    /// An image's encoded bytes from its dump, or nil with the reason.
    func imageBytes(_ id: Int64) -> Result<[UInt8], Error> {
        guard let location = read({ try $0.imageLocation(id) }) ?? nil else {
            return .failure(ReportError.unreadableCatalog(path: options.work + "/catalog.sqlite", message: "it has no image \(id)"))
        }
        return Result { try readImage(location) }
    }

    /// The thumbnail of catalog image `id`, or a grey box saying why there is none.
    func catalogImage(_ id: Int64, _ assets: Assets, alt: String) -> String {
        switch imageBytes(id) {
        case .success(let bytes):
            return HTML.image(assets.thumbnail(bytes, name: "i\(id)"), alt: alt, why: "does not decode")
        case .failure(let error):
            let reason = (error as? ReasonedError)?.reason.rawValue ?? "unreadable"
            return HTML.image(nil, alt: alt, why: "bytes not readable (\(reason))")
        }
    }
}
