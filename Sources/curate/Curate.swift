import ArgumentParser
import CurateCore
import Foundation
import Kernels

/// A subcommand with one example line for `curate --help`.
protocol Exemplified {
    static var example: String { get }
}

@main
struct Curate: ParsableCommand {
    static let subcommandTypes: [(ParsableCommand & Exemplified).Type] = [Inspect.self, SynthCrawl.self, CrawlDump.self, FetchCommand.self, FilterCommand.self, MetadataCommand.self, WeakPairsCommand.self, BuildShardsCommand.self, TrainCommand.self, SearchCommand.self, EmbedCommand.self, ReportCommand.self, RenderText.self, Relocate.self, Schema.self, TaskCommand.self]

    static let configuration = CommandConfiguration(
        abstract: "Turn web crawl dumps into a trained image-text (CLIPPO) model, on one machine.",
        discussion: """
        The pipeline runs crawl-dump, filter, build-shards (which runs weak-pairs when needed) and \
        train, in that order, on one work folder; report shows what they kept, dropped and learned.

        Examples:
        \(subcommandTypes.map { "  \($0.example)" }.joined(separator: "\n"))
        """,
        version: CurateVersion.string,
        subcommands: subcommandTypes
    )
}

/// A failure reported to the user as one line, `Error: <what, where, how to fix>`, with exit
/// status 1. (ArgumentParser's ValidationError would add usage lines after it.)
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Stops with one line, before any vector code runs, on a CPU without AVX2 and FMA (the model's
/// kernels are compiled for them; without the check the first product is an illegal instruction).
func requireVectorCPU(_ command: String) throws {
    if let refusal = CPU.refusal(command: command) { throw CommandFailure(refusal) }
}

/// Takes the `FolderLock` of each folder a command writes, for as long as the returned value
/// lives: a second curate on the same folder is refused with one line naming the first. Folders
/// in `ifPresent` are locked only when they exist (the stage itself reports a missing one).
func lockFolders(_ folders: [String], ifPresent: [String] = []) throws -> [FolderLock] {
    let present = ifPresent.filter { FileManager.default.fileExists(atPath: $0) }
    var seen = Set<String>()
    do {
        return try (folders + present).compactMap { folder in
            let key = URL(fileURLWithPath: folder).standardizedFileURL.path
            return seen.insert(key).inserted ? try FolderLock(folder) : nil
        }
    } catch let error as FolderLock.Busy {
        throw CommandFailure(error.description)
    } catch let error as AtomicFile.WriteError {
        throw CommandFailure(error.description)
    }
}
