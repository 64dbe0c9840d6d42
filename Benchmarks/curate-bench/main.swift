// curate-bench: the figures `make bench` prints. Run from the repository root:
//   .build/release/curate-bench --photos bench/data/photos [--reps 5] [--n 200] [--threads 2]
//       [--peer-json FILE] [--json FILE] [--pipeline-only 1]
//   .build/release/curate-bench --crawl WARC [--reps 3] [--json FILE]
//   .build/release/curate-bench --render TEXTS [--reps 5] [--json FILE]
//   .build/release/curate-bench --make-filter-catalog DIR [--n PAIRS]   (FilterBench.swift)
//   .build/release/curate-bench --curation CATALOG [METADATA]           (CurationBench.swift)
//   .build/release/curate-bench --make-weak-catalog DIR [--n IMAGES]    (WeakPairsBench.swift)
//   .build/release/curate-bench --train Ti/16,S/16 [--reps 5] [--threads 2] [--precision fp32|bf16] [--json FILE]   (TrainBench.swift)
//   .build/release/curate-bench --write-reference-model FILE [--pooling map|gap]  (TrainBench.swift)
//   .build/release/curate-bench --html5lib-tokenizer FILE...   (html5lib's tokenizer tests, Crawl's HTMLConformance)
//   .build/release/curate-bench --html5lib-encoding FILE...    (html5lib's encoding-sniffing .dat tests)
// --crawl measures crawl-dump's stages alone on one thread (CrawlBench.swift) and exits;
// --render the Unifont renderer on one thread over a file of texts, one per line (RenderBench.swift).
// --pipeline-only 1 measures just the decode+resize+crop+encode path (for bench/ratio.py's rounds);
// --json appends {"pipeline": "curate", "img_per_s_1p": ..., "img_per_s_np": ...} to FILE.
// Images: JPEG bytes in memory -> probe -> decode -> shorter side 256 -> centre crop 224 -> JPEG q95,
// the same work as ../shared/bench/peers/image_peer.py, on the same photos (bench/peer_photos.py).
import Crawl
import Foundation
import Imaging
import Kernels

struct Options {
    var photos = "bench/data/photos"
    var reps = 5
    var n = 200
    var threads = 2
    var peerJSON: String?
    var json: String?
    var pipelineOnly = false
    var crawl: String?
    var render: String?
    var filterCatalog: String?
    var weakCatalog: String?
    var train: String?
    var kernels = false
    var referenceModel: String?
    var pooling = "map"
    var precision = Precision.fp32

    init(_ arguments: [String]) {
        var it = arguments.dropFirst().makeIterator()
        while let flag = it.next() {
            let value = it.next() ?? ""
            switch flag {
            case "--photos": photos = value
            case "--reps": reps = Int(value) ?? reps
            case "--n": n = Int(value) ?? n
            case "--threads": threads = Int(value) ?? threads
            case "--peer-json": peerJSON = value
            case "--json": json = value
            case "--pipeline-only": pipelineOnly = value == "1"
            case "--crawl": crawl = value
            case "--render": render = value
            case "--make-filter-catalog": filterCatalog = value
            case "--make-weak-catalog": weakCatalog = value
            case "--train": train = value
            case "--kernels": kernels = value == "1"
            case "--write-reference-model": referenceModel = value
            case "--pooling": pooling = value
            case "--precision": precision = Precision(rawValue: value) ?? { fatalError("curate-bench: --precision is fp32 or bf16") }()
            default: fatalError("curate-bench: unknown option \(flag); see the comment at the top of main.swift")
            }
        }
    }
}

// html5lib's conformance tests: every argument after the flag is a test file; the last line is
// "N passed, M failed", the failing tests above it; the exit status is 1 when any failed.
if CommandLine.arguments.count > 1, ["--html5lib-tokenizer", "--html5lib-encoding"].contains(CommandLine.arguments[1]) {
    let tokenizer = CommandLine.arguments[1] == "--html5lib-tokenizer"
    var total = HTMLConformance.Result()
    for file in CommandLine.arguments.dropFirst(2) {
        guard let data = FileManager.default.contents(atPath: file) else {
            total.failed.append("\(file): cannot be read")
            continue
        }
        let result = tokenizer ? HTMLConformance.runTokenizerTests(data, file: file) : HTMLConformance.runEncodingTests(data, file: file)
        total.passed += result.passed
        total.failed += result.failed
    }
    for failure in total.failed { print("FAIL \(failure)") }
    print(total.summary)
    exit(total.failed.isEmpty && total.passed > 0 ? 0 : 1)
}

if CommandLine.arguments.count > 2, CommandLine.arguments[1] == "--curation" {
    curationBench(catalog: CommandLine.arguments[2], metadata: CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : nil)
    exit(0)
}

if CommandLine.arguments.count > 3, CommandLine.arguments[1] == "--url-session" {
    urlSessionBench(list: CommandLine.arguments[2], connections: Int(CommandLine.arguments[3]) ?? 64)
    exit(0)
}

let options = Options(CommandLine.arguments)
if let warc = options.crawl, ProcessInfo.processInfo.environment["CURATE_BENCH_EXTRACT_ONLY"] != nil {
    // For perf: only the in-memory extraction, `--reps` times (CURATE_BENCH_EXTRACT_ONLY=html5|libxml2).
    let pages = (try? CrawlStages.pages(warc)) ?? []
    let parser = HTMLParserChoice(rawValue: ProcessInfo.processInfo.environment["CURATE_BENCH_EXTRACT_ONLY"]!) ?? .html5
    for _ in 0..<options.reps { print(String(format: "extract (%@): %.0f pages/s", parser.rawValue, Double(pages.count) / CrawlStages.extractOnly(pages, parser: parser))) }
    exit(0)
}
if let warc = options.crawl {
    crawlStages(warc)
    exit(0)
}
if let folder = options.filterCatalog {
    makeFilterCatalog(folder, pairs: options.n)
    exit(0)
}
if let folder = options.weakCatalog {
    makeWeakCatalog(folder, images: options.n)
    exit(0)
}
if options.kernels {
    kernelBench()
    gemmSplitBench()
    exit(0)
}
if let variants = options.train {
    trainStepBench(variants)
    exit(0)
}
if let path = options.referenceModel {
    writeReferenceModel(path, pooling: options.pooling)
    exit(0)
}
if let texts = options.render {
    renderStages(texts)
    exit(0)
}
let mode = ResizeMode.centerCrop(224, shorterSide: 256)
let output = EncodedFormat.jpeg(quality: 95)

/// Appends `text` to the file at `path`, creating it if needed (the --json figures).
func append(_ text: String, to path: String) {
    if let handle = FileHandle(forWritingAtPath: path) { handle.seekToEndOfFile(); handle.write(Data(text.utf8)); try? handle.close() }
    else { _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
func format(_ rates: [Double]) -> String {
    String(format: "%9.1f %16@", median(rates), "(\(Int(rates.min()!))..\(Int(rates.max()!)))" as NSString)
}

/// Images per second of `body` over `count` items, once per repetition, after one warm-up.
func measure(count: Int, threads: Int = 1, _ body: @escaping @Sendable (Int) -> Void) -> [Double] {
    for i in 0..<min(count, 8) { body(i) }
    return (0..<options.reps).map { _ in
        let start = now()
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<count { body(t * 7919 + i) }
        }
        return Double(count * threads) / (now() - start)
    }
}

let files = (try? FileManager.default.contentsOfDirectory(atPath: options.photos).filter { $0.hasSuffix(".jpg") }.sorted()) ?? []
guard !files.isEmpty else {
    FileHandle.standardError.write(Data("curate-bench: no .jpg files in \(options.photos); run `make bench`, which writes them\n".utf8))
    exit(1)
}
let sources: [[UInt8]] = files.map { [UInt8](FileManager.default.contents(atPath: options.photos + "/" + $0)!) }
let first = try ImageProbe.probe(sources[0])
let meanKiB = Double(sources.map(\.count).reduce(0, +)) / Double(sources.count) / 1024
print("# curate-bench images: \(sources.count) sources \(first.width)x\(first.height), mean \(Int(meanKiB)) KiB; reps=\(options.reps) n=\(options.n)")

@Sendable func thumbnail(_ i: Int) {
    let bytes = sources[i % sources.count]
    _ = bytes.withUnsafeBytes { try! Thumbnailer.thumbnail($0, mode: mode, format: output) }
}

let pipeline1 = measure(count: options.n, thumbnail)
let pipelineN = measure(count: options.n, threads: options.threads, thumbnail)
if let path = options.json {
    let line = String(format: "{\"pipeline\": \"curate\", \"img_per_s_1p\": %.2f, \"img_per_s_np\": %.2f, \"procs\": %d}\n",
                      median(pipeline1), median(pipelineN), options.threads)
    append(line, to: path)
}
if options.pipelineOnly {
    print("decode+resize+crop+encode, 1 thread \(format(pipeline1)); \(options.threads) threads \(format(pipelineN))")
    exit(0)
}
let probeRates = measure(count: options.n * 100) { i in
    _ = sources[i % sources.count].withUnsafeBytes { try! ImageProbe.probe($0) }
}
let decodeRates = measure(count: options.n / 4) { i in
    _ = sources[i % sources.count].withUnsafeBytes { try! ImageDecoder.decode($0) }
}

// Where one thread's time goes, stage by stage (median image).
var stages: [(Double, Double, Double)] = []
for i in 0..<options.n {
    let bytes = sources[i % sources.count]
    let t0 = now()
    let info = try bytes.withUnsafeBytes { try ImageProbe.probe($0) }
    let decoded = try bytes.withUnsafeBytes { try ImageDecoder.decodeWindow($0, info: info, options: DecodeOptions(target: mode)) }
    let t1 = now()
    let resized = decoded.resized(mode)
    let t2 = now()
    _ = try resized.encoded(output)
    stages.append((t1 - t0, t2 - t1, now() - t2))
}
let ms = { (f: ((Double, Double, Double)) -> Double) in String(format: "%.2f", median(stages.map(f)) * 1000) }

print("\(("stage" as NSString).padding(toLength: 34, withPad: " ", startingAt: 0)) img/s (min..max)")
print("probe only (header)                \(format(probeRates))")
print("full decode, 1 thread              \(format(decodeRates))")
print("decode+resize+crop+encode, 1 thread \(format(pipeline1))   decode \(ms { $0.0 }) ms, resize \(ms { $0.1 }) ms, encode \(ms { $0.2 }) ms")
print("decode+resize+crop+encode, \(options.threads) threads \(format(pipelineN))")

// The same run's peer figures, when `make bench` has just produced them.
if let path = options.peerJSON, let text = try? String(contentsOfFile: path, encoding: .utf8) {
    var best1: (String, Double) = ("", 0), bestN: (String, Double) = ("", 0)
    for line in text.split(separator: "\n") {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let name = object["pipeline"] as? String, let r1 = object["img_per_s_1p"] as? Double,
              let rN = object["img_per_s_np"] as? Double else { continue }
        if r1 > best1.1 { best1 = (name, r1) }
        if rN > bestN.1 { bestN = (name, rN) }
    }
    if best1.1 > 0 {
        print(String(format: "ratio vs fastest peer, 1 core:  %.2fx (curate %.0f img/s, %@ %.0f img/s; target 1.5x)",
                     median(pipeline1) / best1.1, median(pipeline1), best1.0 as NSString, best1.1))
        print(String(format: "ratio vs fastest peer, %d cores: %.2fx (curate %.0f img/s, %@ %.0f img/s)",
                     options.threads, median(pipelineN) / bestN.1, median(pipelineN), bestN.0 as NSString, bestN.1))
    }
}

// sgemm, the training stage's floor: figures depend on the kernel OpenBLAS picked.
let size = 1024
let a = [Float](repeating: 0.5, count: size * size), b = [Float](repeating: 0.25, count: size * size)
var c = [Float](repeating: 0, count: size * size)
var gflops: [Double] = []
for _ in 0..<(options.reps + 1) {
    let t0 = now()
    BLAS.sgemm(m: size, n: size, k: size, a: a, b: b, c: &c)
    gflops.append(2 * pow(Double(size), 3) / (now() - t0) / 1e9)
}
print(String(format: "sgemm %d^3 fp32 (OpenBLAS core %@): %.0f GFLOP/s", size, BLAS.coreName as NSString, median(Array(gflops.dropFirst()))))
