import ArgumentParser
import Catalog
import Foundation

extension Curate {
    /// `curate relocate OLD NEW`: a dump moved; the catalog finds its images there again.
    struct Relocate: ParsableCommand, Exemplified {
        static let example = "curate relocate /old/dumps /new/dumps --work curate-work"

        static let configuration = CommandConfiguration(
            commandName: "relocate",
            abstract: "Point the catalog at dumps that moved.",
            discussion: """
            crawl-dump stores every dump's absolute path, and filter, build-shards and report read
            image bytes from there. When dumps move, give their old path and the new one: a dump
            file, a mirror folder, or a folder that holds them (every source under it moves along).
            Prints each path changed. crawl-dump given the same bytes under a new path also
            updates it.

            Examples:
              \(example)
              curate relocate crawl.warc.gz /data/crawl.warc.gz
            """
        )

        @Argument(help: "Where the dumps were: a dump file or a folder (as stored, or relative to this folder).")
        var old: String

        @Argument(help: "Where they are now.")
        var new: String

        @OptionGroup var work: WorkOption

        func run() throws {
            let locks = try lockFolders([], ifPresent: [work.work])
            defer { withExtendedLifetime(locks) {} }
            do {
                let store = try CatalogStore(path: work.catalogPath)
                let changed = try store.relocate(from: old, to: new)
                guard !changed.isEmpty else {
                    let known = try store.sources().map(\.path)
                    throw CommandFailure("no dump in \(work.catalogPath) is at \(CatalogPaths.absolute(old)); the catalog's dumps are: "
                                         + known.prefix(5).joined(separator: ", ") + (known.count > 5 ? ", …" : ""))
                }
                for change in changed {
                    let missing = FileManager.default.fileExists(atPath: change.to) ? "" : " (not there yet)"
                    print("\(change.from) -> \(change.to)\(missing)")
                }
            } catch let error as CatalogError {
                throw CommandFailure(error.description)
            } catch let error as SQLiteError {
                throw CommandFailure(error.description)
            }
        }
    }
}
