/// How big a synthetic crawl to write. Every size is made by the same code from a seed.
public struct SynthConfig: Sendable {
    public var seed: UInt64
    public var pages: Int
    /// Content images per gallery page.
    public var contentPerPage: ClosedRange<Int>
    /// Width and height of content images, each drawn from this range (≥ 256: photo-like).
    public var sides: ClosedRange<Int>
    public var jpegQuality: Int
    /// Also write the site as `wget --mirror` lays it out.
    public var mirror: Bool
    /// How many WARC files the crawl is written as (`crawl.warc.gz` when 1, else
    /// `crawl-00000.warc.gz`, …): consecutive pages per file, as a crawler rolls its output files.
    public var warcFiles = 1
    /// Like a Common Crawl dump: the WARC files hold the pages (and redirects) but no image
    /// bytes, which go under this folder as HOST/PATH files instead, for a web server to serve
    /// (`curate fetch`'s tests and benchmark). nil: the images are in the dump.
    public var imagesApart: String?

    public init(seed: UInt64, pages: Int, contentPerPage: ClosedRange<Int>, sides: ClosedRange<Int>, jpegQuality: Int, mirror: Bool) {
        precondition(pages >= 3, "SynthConfig needs at least 3 pages (the index, a windows-1252 page and one more).")
        self.seed = seed
        self.pages = pages
        self.contentPerPage = contentPerPage
        self.sides = sides
        self.jpegQuality = jpegQuality
        self.mirror = mirror
    }

    /// The committed samples/ (under 5 MB with its mirror).
    public static let sample = SynthConfig(seed: 2026, pages: 24, contentPerPage: 3...4, sides: 256...304, jpegQuality: 75, mirror: true)
    /// Enough pairs for `make demo`'s model to learn (about 7,000 content images, 80 MB, about 1.5 minutes).
    public static let demo = SynthConfig(seed: 2026, pages: 1600, contentPerPage: 3...6, sides: 256...352, jpegQuality: 85, mirror: false)
    /// About 1 GB of WARC for the benchmarks (5,600 pages at ~180 KB each; about 12 minutes to write).
    public static let bench = SynthConfig(seed: 2026, pages: 5600, contentPerPage: 3...6, sides: 480...800, jpegQuality: 90, mirror: false)

    public static func named(_ name: String) -> SynthConfig? {
        ["sample": sample, "demo": demo, "bench": bench][name]
    }
}
