import ArgumentParser
import Crawl

// Options several commands share, declared once (`@OptionGroup`), each with its check.

/// --work: the folder of a pipeline run.
struct WorkOption: ParsableArguments {
    @Option(help: "The work folder: catalog.sqlite, and by default shards/, model/ and report/.")
    var work = "curate-work"

    var catalogPath: String { work + "/catalog.sqlite" }
}

/// --threads: worker threads beside the thread that reads and writes.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Worker threads (1 to 64).")
    var threads = 2

    func validate() throws {
        guard (1...64).contains(threads) else { throw CommandFailure("--threads must be between 1 and 64, got \(threads)") }
    }
}

/// --shards: the folder curate build-shards wrote.
struct ShardsOption: ParsableArguments {
    @Option(help: "The folder curate build-shards wrote.")
    var shards = "curate-work/shards"
}

/// --checkpoint: a checkpoint of curate train.
struct CheckpointOption: ParsableArguments {
    @Option(help: "A checkpoint of curate train (MODEL/step-N.safetensors).")
    var checkpoint: String
}

/// --detections: an object detector's JSON lines for weak-pairs (README: Detections).
struct DetectionsOption: ParsableArguments {
    @Option(help: "An object detector's output for weak-pairs: JSON lines (README: Detections).")
    var detections: String?
}

extension HTMLParserChoice: ExpressibleByArgument {}
