import Foundation

/// The real files in ../shared/corpus (see its MANIFEST.md), found through $CURATE_SHARED or
/// beside the repository. Tests that need them are skipped, saying so, when they are absent.
public enum SharedCorpus {
    /// The repository root, from this file's path (Tests/TestSupport/SharedCorpus.swift).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The corpus folder, or nil when ../shared is not there.
    public static let root: URL? = {
        let shared = ProcessInfo.processInfo.environment["CURATE_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        let corpus = shared.appendingPathComponent("corpus")
        if FileManager.default.fileExists(atPath: corpus.appendingPathComponent("MANIFEST.md").path) { return corpus }
        print("skipped: real-corpus tests need ../shared/corpus (or $CURATE_SHARED); it is not there")
        return nil
    }()

    public static var isAvailable: Bool { root != nil }

    /// The regular files under `folder` (relative to the corpus), sorted by path.
    public static func files(_ folder: String) -> [URL] {
        guard let base = root?.appendingPathComponent(folder),
              let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walker.compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.path < $1.path }
    }

    public static func bytes(_ url: URL) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: url.path) ?? Data()) }
}
