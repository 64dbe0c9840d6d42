import ArgumentParser
import CurateCore
import Foundation
import Imaging

extension Curate {
    struct Inspect: ParsableCommand, Exemplified {
        static let example = "curate inspect photo.jpg images/    # one JSON line per image file"
        static let configuration = CommandConfiguration(
            abstract: "Describe image files: format, size, whether they decode (and why not), SHA-256, pHash.",
            discussion: """
            Prints one JSON object per file to standard output, with the keys path, format, width,
            height, encoding (JPEG), decodes, reason and error (when it does not decode), bytes,
            sha256 and phash. Folders are walked recursively. A summary of reasons goes to
            standard error. The exit status is 1 only when a path cannot be read.

            Example:
              \(example)
            """
        )

        @Argument(help: "Image files, or folders to walk.")
        var paths: [String]

        @Option(help: "Refuse images that declare more pixels than this (too_many_pixels).")
        var maxPixels: Int = DecodeOptions.defaultMaxPixels

        func validate() throws {
            guard maxPixels > 0 else { throw CommandFailure("--max-pixels must be positive, got \(maxPixels); pass a pixel count such as 89478485") }
        }

        func run() throws {
            let (files, missing) = FileList.expand(paths)
            let options = DecodeOptions(maxPixels: maxPixels)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var counts = ReasonCounts()
            var unreadable: [String] = []
            func emit(_ report: ImageReport) throws {
                if report.decodes { counts.keep() } else { counts.drop(DropReason(report.reason ?? DropReason.corrupt.rawValue)) }
                if report.reason == DropReason.unreadable.rawValue { unreadable.append(report.error ?? report.path) }
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            }
            for path in missing {
                try emit(.unreadable(path: path, error: "\(path): no such file or folder; check the path"))
            }
            for path in files {
                switch FileList.read(path) {
                case .success(let bytes): try emit(bytes.withUnsafeBytes { ImageReport.inspect($0, path: path, options: options) })
                case .failure(let error): try emit(.unreadable(path: path, error: error.description))
                }
            }
            FileHandle.standardError.write(Data(("inspected \(counts.total) files: " + counts.summaryLines.joined(separator: ", ") + "\n").utf8))
            if let first = unreadable.first {
                throw CommandFailure("\(unreadable.count) path(s) could not be read, first: \(first)")
            }
        }
    }
}
