// swift-tools-version:6.0
// curate: web crawl dumps -> filtered image/text pairs -> WebDataset shards -> a CLIPPO model.
// ARCHITECTURE.md lists every target below with its purpose and which targets it may import.
import PackageDescription

/// A C library found through pkg-config, installed from Debian by `make setup`.
func systemLibrary(_ name: String, pkgConfig: String, apt: [String]) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt(apt)])
}

let package = Package(
    name: "curate",
    products: [
        .executable(name: "curate", targets: ["curate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries, one target each.
        systemLibrary("CLibXML2", pkgConfig: "libxml-2.0", apt: ["libxml2-dev"]),
        systemLibrary("CLibPNG", pkgConfig: "libpng", apt: ["libpng-dev"]),
        systemLibrary("CLibJPEG", pkgConfig: "libjpeg", apt: ["libjpeg-dev"]),
        systemLibrary("CLibWebP", pkgConfig: "libwebpdemux", apt: ["libwebp-dev"]),
        systemLibrary("CGIF", pkgConfig: "libgif", apt: ["libgif-dev"]),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: ["zlib1g-dev"]),
        systemLibrary("CLibDeflate", pkgConfig: "libdeflate", apt: ["libdeflate-dev"]),
        systemLibrary("COpenBLAS", pkgConfig: "openblas", apt: ["libopenblas-dev"]),
        systemLibrary("CSQLite", pkgConfig: "sqlite3", apt: ["libsqlite3-dev"]),
        // libjpeg reports errors by longjmp, which Swift cannot catch: this C target catches them.
        .target(name: "CJPEGGlue", dependencies: ["CLibJPEG"]),
        // libpng's full API (the simplified one applies gAMA) reports errors the same way.
        .target(name: "CPNGGlue", dependencies: ["CLibPNG"]),
        // CLD2's API is C++; this target gives Swift one C function (Debian's libcld2-dev has no
        // pkg-config file: the header is in /usr/include/cld2, the library is libcld2.so).
        .target(name: "CCLD2Glue", linkerSettings: [.linkedLibrary("cld2")]),

        // Libraries.
        .target(name: "CurateCore"),
        .target(name: "Imaging", dependencies: [
            "CurateCore", "CLibPNG", "CPNGGlue", "CJPEGGlue", "CLibWebP", "CGIF",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Catalog", dependencies: ["CurateCore", "CSQLite"]),
        .target(name: "Zlib", dependencies: ["CZlib", "CLibDeflate"]),
        .target(name: "Synth", dependencies: ["CurateCore", "Imaging", "Zlib", .product(name: "Crypto", package: "swift-crypto")]),
        // AVX2 and FMA (every x86-64 CPU since 2013; these machines have AVX-512): the vectorised
        // exp/erf/softmax loops run 2.5x faster than with the baseline SSE2 (measured; Vector.swift).
        // The CPU check and the bfloat16 product (AVX512-BF16 in functions that ask for it; the
        // rest plain x86-64, so the check runs on the CPUs it refuses).
        .target(name: "CKernels"),
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CKernels"],
                swiftSettings: [.unsafeFlags(["-Xfrontend", "-target-cpu", "-Xfrontend", "haswell"])]),
        .target(name: "Crawl", dependencies: ["CurateCore", "Catalog", "Imaging", "CLibXML2", "Zlib", .product(name: "Crypto", package: "swift-crypto")],
                exclude: ["HTML/README.md", "HTML/make_entities.py"]),
        .target(name: "Render", dependencies: ["Imaging"], exclude: ["README.md"]),
        .target(name: "Align", dependencies: ["CurateCore", "Catalog"]),
        .target(name: "Shards", dependencies: ["CurateCore", "Catalog", "Imaging", "Render", .product(name: "Crypto", package: "swift-crypto")]),
        // The default rules and their lists are compiled into the binary (curate filter works from any folder).
        .target(name: "Filters", dependencies: ["CurateCore", "Catalog", "Imaging", "CCLD2Glue", .product(name: "TOMLKit", package: "TOMLKit")],
                exclude: ["Rules/README.md"],
                resources: [.embedInCode("Rules/align.toml"), .embedInCode("Rules/boilerplate.txt"), .embedInCode("Rules/porn-blocklist.txt"),
                            .embedInCode("Rules/metaclip.toml"), .embedInCode("Rules/datacomp-text.toml"), .embedInCode("Rules/imagenet21k-wordnet-ids.txt")]),
        .target(name: "Train", dependencies: ["CurateCore", "Kernels", "Imaging", "Render"]),
        .target(name: "Report", dependencies: ["CurateCore", "Catalog", "Imaging"]),
        // curate fetch: the images a dump lacks, over HTTP(S) with swift-server's client, into WARC files.
        .target(name: "Fetch", dependencies: [
            "CurateCore", "Catalog", "Imaging", "Zlib",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Executables.
        .executableTarget(name: "curate", dependencies: [
            "CurateCore", "Imaging", "Catalog", "Synth", "Crawl", "Render", "Filters", "Align", "Shards", "Train", "Report", "Fetch", "Kernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "curate-bench", dependencies: ["Imaging", "Kernels", "Train", "Crawl", "Render", "Filters", "Align", "Catalog", "CurateCore"], path: "Benchmarks/curate-bench"),

        // The fuzz targets (Fuzz/Targets), built always: FuzzRegressionTests replays their findings.
        .target(name: "FuzzTargets", dependencies: ["CurateCore", "Crawl", "Filters", "Imaging", "Train"], path: "Fuzz/Targets"),

        // Tests: one target per library, the system libraries, and the commands end to end.
        .target(name: "TestSupport", dependencies: ["Imaging"], path: "Tests/TestSupport"),
        .testTarget(name: "CurateCoreTests", dependencies: ["CurateCore"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CurateCore", "TestSupport"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog"]),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "Imaging", "CurateCore", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "TrainTests", dependencies: ["Train", "Kernels", "CurateCore", "Shards", "Imaging", "Render", "TestSupport"]),
        .testTarget(name: "CrawlTests", dependencies: ["Crawl", "Catalog", "CurateCore", "Zlib", "TestSupport"]),
        .testTarget(name: "FiltersTests", dependencies: ["Filters", "Crawl", "Catalog", "Imaging", "CurateCore", "TestSupport"]),
        .testTarget(name: "AlignTests", dependencies: ["Align", "Filters", "Crawl", "Catalog", "CurateCore", "TestSupport"]),
        .testTarget(name: "ShardsTests", dependencies: ["Shards", "Catalog", "CurateCore", "Imaging", "TestSupport"]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "Imaging", "TestSupport"]),
        .testTarget(name: "SystemLibrariesTests", dependencies: ["CLibXML2", "CZlib", "CLibPNG", "CLibWebP", "CGIF", "CSQLite", "COpenBLAS"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "TestSupport"]),
        .testTarget(name: "FetchTests", dependencies: ["Fetch", "CurateCore", "Zlib"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Crawl", "Filters", "Catalog", "CurateCore", "Imaging", "TestSupport"]),
        .testTarget(name: "CurateTests", dependencies: ["curate", "Catalog", "CurateCore", "CZlib", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
    ]
)

// `make fuzz` only: the libFuzzer driver, built with CURATE_FUZZ=1 and -sanitize=fuzzer,address.
if Context.environment["CURATE_FUZZ"] != nil {
    package.targets += [
        .target(name: "CFuzzer", path: "Fuzz/CFuzzer"),
        .executableTarget(name: "curate-fuzz", dependencies: ["FuzzTargets", "CFuzzer"], path: "Fuzz/Main"),
    ]
}
