import ArgumentParser
import Crawl
import CurateCore
import Filters
import Foundation

extension Curate {
    struct FilterCommand: ParsableCommand, Exemplified {
        static let example = "curate filter --work curate-work --eval-images samples/eval    # ALIGN's filters, a reason for every drop"
        static let configuration = CommandConfiguration(
            commandName: "filter",
            abstract: "Apply ALIGN's image and text filters, deduplication and eval-set decontamination to the catalog.",
            discussion: """
            Runs the built-in rules (Sources/Filters/Rules/align.toml; or --rules FILE) in order over the catalog that
            crawl-dump wrote: image rules first (size and aspect ratio from the header, decodability,
            a text proxy for pornographic images, too many texts, exact and near duplicates by pHash,
            near-duplicates of --eval-images), then text rules on the pairs left (shared by more than
            10 images, rare tokens, fewer than 3 or more than 20 words, curate's boilerplate list).
            Every dropped image and pair keeps the rule's name as its reason in filter_decisions;
            nothing is deleted, so filter can run again with other rules. Prints the effective rules,
            then a table of what each rule dropped and what remains. Decontaminated images are listed
            in WORK/decontamination.jsonl. Sources/Filters/Rules/README.md documents every rule.

            Examples:
              \(example)
              curate filter --set image_too_small.bounds=inclusive --set text_rare_token.min_count=2 --dry-run
              curate filter --explain http://www.shapes-gallery.example/images/c00001.jpg
            """
        )

        @OptionGroup var workOption: WorkOption
        var work: String { workOption.work }

        @Option(help: "The rule file (TOML); by default the rules built into curate (Sources/Filters/Rules/align.toml).")
        var rules = RuleSet.builtInPath

        @Option(name: .customLong("set"), help: "Override one rule parameter: RULE.PARAMETER=VALUE (repeatable).")
        var overrides: [String] = []

        @Option(name: .customLong("eval-images"), parsing: .upToNextOption, help: "Folders or files of evaluation images to decontaminate against.")
        var evalImages: [String] = []

        @Flag(help: "Print the table without writing anything to the catalog.")
        var dryRun = false

        @Option(help: "Say what the last run decided about one image or pair: image:ID, pair:ID or an image URL.")
        var explain: String?

        @OptionGroup var threadsOption: ThreadsOption
        var threads: Int { threadsOption.threads }

        func run() throws {
            do {
                if let explain {
                    print(try FilterExplain.explain(workDirectory: work, target: explain), terminator: "")
                    return
                }
                let locks = try lockFolders([], ifPresent: [work])
                defer { withExtendedLifetime(locks) {} }
                var ruleSet = try RuleSet.load(path: rules)
                for text in overrides { try ruleSet.override(text) }
                var options = FilterOptions(workDirectory: work, rules: ruleSet)
                options.evalPaths = evalImages
                options.dryRun = dryRun
                options.threads = threads
                let onTerminal = isatty(STDERR_FILENO) != 0
                let filter = try Filter(options: options, readImage: StoredPayload.reader,
                                        log: onTerminal ? { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) } : nil)
                print(ruleSet.toml)
                print(try filter.run().table)
            } catch let error as FilterError {
                throw CommandFailure(error.description)
            }
        }
    }
}
